'use strict';

const { numberOr } = require('../lib/config');
const { alertAction } = require('../lib/alert-actions');

/**
 * Config node `ioc-server`: where the IOC Telemetry cloud is and how to talk to it. The API token and the
 * MQTT password are Node-RED credentials (stored encrypted in flows_cred.json, never in the flow JSON).
 * @param {any} RED
 */
module.exports = function register(RED) {
  /**
   * @this {any} a Node-RED node
   * @param {Record<string, unknown>} config
   */
  function IocServerNode(config) {
    RED.nodes.createNode(this, config);
    const creds = this.credentials ?? {};
    this.name = config.name;
    /** Base URL of the cloud API, e.g. "https://ioc.hanam.gov.vn"; a path prefix behind a proxy is kept. */
    this.url = String(config.url ?? '').trim();
    /** Broker for the MQTT source, e.g. "mqtts://ioc.hanam.gov.vn:8883"; empty when only SSE is used. */
    this.mqttUrl = String(config.mqttUrl ?? '').trim();
    this.token = String(creds.token ?? '');
    this.mqttUsername = String(creds.mqttUsername ?? '');
    this.mqttPassword = String(creds.mqttPassword ?? '');
    /** Reconnect backoff, ms: jittered, doubling from min to max. */
    this.reconnectMinMs = numberOr(config.reconnectMinS, 1, 0.01) * 1000;
    this.reconnectMaxMs = Math.max(numberOr(config.reconnectMaxS, 60, 0.01) * 1000, this.reconnectMinMs);
    /** The stream is presumed dead after this long without a byte (the server sends a keep-alive every 15 s). */
    this.idleTimeoutMs = numberOr(config.idleTimeoutS, 45, 0) * 1000;
    /** Timeout of one ack/resolve request, ms. */
    this.requestTimeoutMs = numberOr(config.requestTimeoutS, 10, 0.1) * 1000;
  }

  /**
   * Acknowledges or resolves an alert; see lib/alert-actions.js for the errors.
   * @param {string} alertId
   * @param {'ack' | 'resolve'} action
   * @param {string | undefined} note
   * @this {any}
   */
  IocServerNode.prototype.alertAction = function (alertId, action, note) {
    return alertAction({ baseUrl: this.url, token: this.token, timeoutMs: this.requestTimeoutMs }, alertId, action, note);
  };

  RED.nodes.registerType('ioc-server', IocServerNode, {
    credentials: {
      token: { type: 'password' },
      mqttUsername: { type: 'text' },
      mqttPassword: { type: 'password' },
    },
  });
};
