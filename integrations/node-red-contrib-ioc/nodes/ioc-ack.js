'use strict';

const { ACTIONS, alertIdOf } = require('../lib/alert-actions');
const { ErrorCode, iocError } = require('../lib/errors');

/**
 * Node `ioc ack`: acknowledges (or resolves, per its configuration or msg.action) the alert a message
 * names, with msg.note (else the configured note). Sends msg.payload = the updated alert and
 * msg.statusCode = 200; on failure reports an error whose `code` is the cloud's (IOC_ERR_CONFLICT with
 * statusCode 409 when the alert is no longer open) to Catch nodes, and sends nothing.
 * @param {any} RED
 */
module.exports = function register(RED) {
  /**
   * @this {any} a Node-RED node
   * @param {Record<string, unknown>} config
   */
  function IocAckNode(config) {
    RED.nodes.createNode(this, config);
    const server = RED.nodes.getNode(config.server);
    const configured = config.action === 'resolve' ? 'resolve' : 'ack';
    const defaultNote = typeof config.note === 'string' ? config.note : '';
    let inFlight = 0;
    let done = 0;

    if (!server || !server.url) this.status({ fill: 'red', shape: 'ring', text: 'no IOC server configured' });

    this.on('input', (/** @type {Record<string, any>} */ msg, /** @type {(m: any) => void} */ send, /** @type {(err?: Error) => void} */ finish) => {
      if (!server || !server.url) return finish(iocError(ErrorCode.CONFIG, 'ioc ack: choose an IOC server (base URL and token)'));
      const alertId = alertIdOf(msg);
      if (!alertId) return finish(iocError(ErrorCode.NO_ALERT_ID, 'ioc ack: the message names no alert (set msg.alertId or msg.payload.alertId)'));
      const action = ACTIONS.includes(msg.action) ? msg.action : configured;
      const note = typeof msg.note === 'string' && msg.note.length > 0 ? msg.note : defaultNote || undefined;
      inFlight += 1;
      this.status({ fill: 'blue', shape: 'dot', text: `${action} ${alertId}…` });
      /** @type {Promise<Record<string, unknown>>} */
      const call = server.alertAction(alertId, action, note);
      call.then((alert) => {
        inFlight -= 1;
        done += 1;
        this.status({ fill: 'green', shape: 'dot', text: `${alert.state} ${alertId}${inFlight > 0 ? ` (+${inFlight})` : ''} · ${done} done` });
        msg.payload = alert;
        msg.statusCode = 200;
        send(msg);
        finish();
      }, (/** @type {Error & { code?: string, statusCode?: number }} */ err) => {
        inFlight -= 1;
        this.status({ fill: 'red', shape: 'ring', text: `${err.statusCode ?? ''} ${err.code ?? 'error'} ${alertId}`.trim() });
        msg.statusCode = err.statusCode ?? err.code;
        finish(err);
      });
    });
  }

  RED.nodes.registerType('ioc ack', IocAckNode);
};
