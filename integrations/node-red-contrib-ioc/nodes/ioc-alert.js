'use strict';

const os = require('node:os');
const { compileFilter, splitList, toMessage } = require('../lib/alert-event');
const { AlertStream } = require('../lib/alert-stream');
const { MqttAlertSource } = require('../lib/mqtt-source');
const { numberOr } = require('../lib/config');

/** Node context key of the resume position: `{ url, id }` (a position is only valid on its own server). */
const RESUME_KEY = 'iocResume';
/**
 * Resume positions of this runtime by node id, `{ url, id }`. Node-RED deletes a node's context when the
 * node is redeployed unless a context store is configured, so the position lives here as well: it
 * survives reconnects and redeploys; the context copy survives restarts when the store is persistent.
 * @type {Map<string, { url: string, id: number }>}
 */
const positions = new Map();
/** At most one garbage warning per this many ms (the count says how many were folded in). */
const GARBAGE_WARN_EVERY_MS = 60_000;

/**
 * Input node `ioc alert`: emits each alert transition the cloud publishes, filtered, as
 * msg.payload = AlertEvent, msg.topic = "ioc/alerts/<site>/<severity>", msg.alertId, msg.eventId.
 * SSE source: resumes after the last event id it saw (kept in node context, so it survives reconnects and
 * redeploys, and restarts too with a persistent context store). MQTT source: a persistent QoS 1 session.
 * @param {any} RED
 */
module.exports = function register(RED) {
  /**
   * @this {any} a Node-RED node
   * @param {Record<string, unknown>} config
   */
  function IocAlertNode(config) {
    RED.nodes.createNode(this, config);
    const server = RED.nodes.getNode(config.server);
    if (!server || !server.url) {
      this.status({ fill: 'red', shape: 'ring', text: 'no IOC server configured' });
      this.error('ioc alert: choose an IOC server (base URL and token)');
      return;
    }
    const source = config.source === 'mqtt' ? 'mqtt' : 'sse';
    const sites = splitList(config.sites);
    const filter = compileFilter({
      minSeverity: /** @type {any} */ (['info', 'warning', 'critical'].includes(String(config.severity)) ? config.severity : 'info'),
      sites, types: splitList(config.types), maxAgeMs: numberOr(config.maxAgeMin, 60) * 60_000,
    });
    const context = this.context();
    /** Counters of this node (the source's own are in `stats()`). */
    const counts = { delivered: 0, filtered: { severity: 0, site: 0, type: 0, stale: 0 } };
    let lastWarnAt = -Infinity;
    let unwarned = 0;
    /** @type {{ start(): void, stop(): Promise<void>, stats: import('../lib/alert-stream').SourceStats } | null} */
    let feed = null;
    let connected = false;
    let warnedDenial = '';

    /** @param {import('../lib/alert-event').AlertEvent} e */
    const onAlert = (e) => {
      if (source === 'sse') {
        positions.set(this.id, { url: server.url, id: e.id });
        context.set(RESUME_KEY, { url: server.url, id: e.id }, () => undefined);
      }
      const held = filter(e, Date.now());
      if (held) counts.filtered[held] += 1;
      else {
        counts.delivered += 1;
        this.send(toMessage(e));
      }
      showConnected();
    };
    /** @param {string} reason @param {string} sample */
    const onGarbage = (reason, sample) => {
      unwarned += 1;
      const now = Date.now();
      if (now - lastWarnAt >= GARBAGE_WARN_EVERY_MS) {
        this.warn(`ioc alert: ${unwarned} malformed frame(s) ignored (last: ${reason}${sample ? `: ${JSON.stringify(sample.slice(0, 80))}` : ''})`);
        lastWarnAt = now;
        unwarned = 0;
      }
      if (connected) showConnected();
    };
    const showConnected = () => {
      const g = feed?.stats.garbage ?? 0;
      this.status({ fill: 'green', shape: 'dot', text: `connected · ${counts.delivered} sent${g > 0 ? ` · ${g} malformed` : ''}` });
    };
    /** @param {import('../lib/alert-stream').SourceState} s */
    const onState = (s) => {
      connected = s.state === 'connected';
      if (connected) warnedDenial = '';
      if (s.state === 'connecting') this.status({ fill: 'yellow', shape: 'ring', text: 'connecting…' });
      else if (s.state === 'connected') showConnected();
      else if (s.state === 'reconnecting' || s.state === 'failed') {
        const denied = s.error?.statusCode === 401 || s.error?.statusCode === 403 || s.error?.code === 'IOC_ERR_NR_MQTT_REFUSED' || s.state === 'failed';
        const wait = s.state === 'reconnecting' ? `reconnecting in ${Math.ceil((s.delayMs ?? 0) / 1000)} s` : 'failed';
        this.status({ fill: denied ? 'red' : 'yellow', shape: 'ring', text: `${wait}: ${s.error?.code ?? 'closed'}` });
        // Once per refusal until the next good connection: a wrong password must not flood the log.
        const why = s.error?.message ?? 'refused';
        if (denied && why !== warnedDenial) this.warn(`ioc alert: ${why}`);
        if (denied) warnedDenial = why;
      }
    };

    /** Exposed for tests and the debug sidebar's "node" view: what this node saw. */
    this.stats = () => ({ ...counts, filtered: { ...counts.filtered }, source: feed ? { ...feed.stats, garbageBy: { ...feed.stats.garbageBy } } : null });

    /** @param {unknown} resume */
    const start = (resume) => {
      const r = /** @type {{ url?: unknown, id?: unknown } | undefined} */ (resume);
      const lastEventId = r && r.url === server.url && Number.isSafeInteger(r.id) ? /** @type {number} */ (r.id) : undefined;
      try {
        feed = source === 'mqtt'
          ? new MqttAlertSource({
            url: server.mqttUrl, username: server.mqttUsername, password: server.mqttPassword, sites,
            clientId: `ioc-nr-${os.hostname()}-${this.id}`.replace(/[^A-Za-z0-9_-]/g, '-'),
            minDelayMs: server.reconnectMinMs, maxDelayMs: server.reconnectMaxMs, onAlert, onState, onGarbage,
          })
          : new AlertStream({
            baseUrl: server.url, token: server.token, lastEventId, minDelayMs: server.reconnectMinMs,
            maxDelayMs: server.reconnectMaxMs, idleTimeoutMs: server.idleTimeoutMs, onAlert, onState, onGarbage,
          });
      } catch (err) {
        const e = /** @type {Error & { code?: string }} */ (err);
        this.status({ fill: 'red', shape: 'ring', text: e.code ?? 'error' });
        this.error(`ioc alert: ${e.message}`);
        return;
      }
      feed.start();
    };

    let closing = false;
    const known = positions.get(this.id);
    if (known) start(known);
    else {
      context.get(RESUME_KEY, (/** @type {unknown} */ err, /** @type {unknown} */ value) => {
        if (!closing) start(err ? undefined : value);
      });
    }

    this.on('close', (/** @type {boolean} */ removed, /** @type {() => void} */ done) => {
      closing = true;
      const stopping = feed ? feed.stop() : Promise.resolve();
      feed = null;
      stopping.then(() => {
        this.status({});
        if (!removed) return done();
        positions.delete(this.id);
        context.set(RESUME_KEY, undefined, () => done());
      }, () => done());
    });
  }

  RED.nodes.registerType('ioc alert', IocAlertNode);
};
