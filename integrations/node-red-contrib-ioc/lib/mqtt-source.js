'use strict';

const { parseAlertEvent } = require('./alert-event');
const { backoffDelay } = require('./backoff');
const { ErrorCode, iocError } = require('./errors');

/**
 * @typedef {import('./alert-event').AlertEvent} AlertEvent
 * @typedef {import('./alert-stream').SourceState} SourceState
 * @typedef {import('./alert-stream').SourceStats} SourceStats
 * @typedef {import('./alert-stream').Timers} Timers
 */

/** Topic of the cloud's alert transitions (docs/protocol.md): one JSON AlertEvent per message. */
const ALERT_TOPIC_PREFIX = 'ioc/v1/alerts/';

/**
 * The `mqtt` package, if it can be found: next to this package, else next to the Node-RED runtime that
 * loaded it (Node-RED ships `mqtt` for its own MQTT nodes). Null when neither has it: the SSE source
 * still works.
 * @returns {any}
 */
function loadMqtt() {
  const places = [__dirname, require.main?.path].filter((p) => typeof p === 'string');
  for (const from of places) {
    try {
      return require(require.resolve('mqtt', { paths: [from] }));
    } catch {
      // try the next place
    }
  }
  return null;
}

/**
 * @typedef {object} MqttSourceOptions
 * @property {string} url             e.g. "mqtt://ioc.example.vn:1883" or "mqtts://…:8883"
 * @property {string} [username]      The observer service account.
 * @property {string} [password]
 * @property {string} clientId        Stable across restarts: the broker keeps the session (clean: false)
 *                                    and queues QoS 1 alerts while Node-RED is away.
 * @property {string[]} sites         Subscribe to these sites only; empty: every site (`ioc/v1/alerts/+`).
 * @property {number} [minDelayMs]    Reconnect backoff floor, as for the stream. Default 1000.
 * @property {number} [maxDelayMs]    Reconnect backoff ceiling. Default 60000.
 * @property {Timers} [timers]        Injectable clock for the backoff.
 * @property {() => number} [random]  Injectable jitter source.
 * @property {(e: AlertEvent) => void} onAlert
 * @property {(s: SourceState) => void} [onState]
 * @property {(reason: string, sample: string) => void} [onGarbage]
 * @property {any} [mqtt]             The mqtt module; default `loadMqtt()` (null: as if it were not installed).
 * @property {number} [dedupeWindow]  How many recent event ids are remembered to drop QoS 1 redeliveries. Default 4096.
 */

/**
 * Alert transitions from the broker instead of the HTTP stream. QoS 1 on a persistent session gives
 * at-least-once delivery; a window of recent event ids turns it into once. Topics and payloads are
 * checked like the stream's frames: garbage is counted, never thrown.
 */
class MqttAlertSource {
  /** @param {MqttSourceOptions} opts */
  constructor(opts) {
    this.opts = opts;
    if (!/^(mqtts?|wss?):\/\/\S+$/.test(opts.url)) throw iocError(ErrorCode.CONFIG, `the MQTT source needs a broker URL (mqtt://, mqtts://, ws:// or wss://), not "${opts.url}"`);
    this.mqtt = opts.mqtt === undefined ? loadMqtt() : opts.mqtt;
    if (!this.mqtt) throw iocError(ErrorCode.NO_MQTT, 'the MQTT source needs the "mqtt" package: run `npm install mqtt` in your Node-RED user directory');
    /** @type {SourceStats} */
    this.stats = { connects: 0, events: 0, duplicates: 0, garbage: 0, garbageBy: {}, ignored: 0, comments: 0 };
    /** @type {Set<number>} */
    this.seen = new Set();
    /** @type {number[]} */
    this.order = [];
    this.window = opts.dedupeWindow ?? 4096;
    /** @type {number | undefined} */
    this.lastEventId = undefined;
    /** @type {any} */
    this.client = null;
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) };
    this.range = { minMs: opts.minDelayMs ?? 1000, maxMs: Math.max(opts.maxDelayMs ?? 60_000, opts.minDelayMs ?? 1000) };
    this.attempt = 0;
    /** @type {unknown} */
    this.retryTimer = null;
  }

  start() {
    if (this.client) return;
    const o = this.opts;
    const filters = o.sites.length > 0 ? o.sites.map((s) => ALERT_TOPIC_PREFIX + s) : [`${ALERT_TOPIC_PREFIX}+`];
    this.opts.onState?.({ state: 'connecting' });
    const client = this.mqtt.connect(o.url, {
      // Reconnects are ours (jittered backoff, also after a refused CONNACK), not mqtt.js's fixed period.
      clientId: o.clientId, clean: false, reconnectPeriod: 0, connectTimeout: 10_000,
      ...(o.username ? { username: o.username } : {}), ...(o.password ? { password: o.password } : {}),
    });
    this.client = client;
    /** @type {Error | undefined} */
    let lastError;
    client.on('connect', () => {
      this.stats.connects += 1;
      this.attempt = 0;
      this.opts.onState?.({ state: 'connected' });
      // A resumed session still has its subscriptions; subscribing again is harmless and covers a lost session.
      client.subscribe(filters, { qos: 1 }, (/** @type {Error | null} */ err, /** @type {{ topic: string, qos: number }[] | undefined} */ granted) => {
        // mqtt.js reports a SUBACK failure (0x80) as an error, or as a granted QoS of 128.
        if (err || (granted ?? []).some((g) => g.qos === 128)) {
          const why = err?.message ?? 'SUBACK 0x80';
          const error = iocError(ErrorCode.SUBSCRIBE_REFUSED, `the broker refused the subscription to ${filters.join(', ')} (${why}): is the account an observer?`, { cause: err ?? undefined });
          this.opts.onState?.({ state: 'failed', error });
        }
      });
    });
    client.on('error', (/** @type {Error & { code?: unknown }} */ err) => {
      // A numeric code is the CONNACK return code: 4 bad user name or password, 5 not authorized [MQTT-3.2.2-3].
      lastError = typeof err.code === 'number'
        ? iocError(ErrorCode.MQTT_REFUSED, `${o.url}: the broker refused the connection (CONNACK ${err.code}: ${err.message})`, { cause: err })
        : iocError(ErrorCode.UNREACHABLE, `${o.url}: ${err.message}`, { cause: err });
    });
    client.on('close', () => {
      if (this.client !== client) return;
      const error = lastError ?? iocError(ErrorCode.UNREACHABLE, `${o.url}: connection closed`);
      lastError = undefined;
      const delayMs = backoffDelay(this.attempt, this.range, o.random);
      this.opts.onState?.({ state: 'reconnecting', delayMs, attempt: this.attempt, error });
      this.attempt += 1;
      this.retryTimer = this.timers.setTimeout(() => {
        this.retryTimer = null;
        if (this.client === client) client.reconnect();
      }, delayMs);
    });
    client.on('message', (/** @type {string} */ topic, /** @type {Buffer} */ payload) => {
      if (this.client === client) this.message(topic, payload);
    });
  }

  /**
   * @param {string} topic
   * @param {Buffer} payload
   */
  message(topic, payload) {
    const text = payload.toString('utf8');
    const parsed = parseAlertEvent(text);
    if (!parsed.ok) return this.garbage(parsed.reason, text);
    const e = parsed.event;
    if (topic !== ALERT_TOPIC_PREFIX + e.subject.site) return this.garbage('topic-mismatch', topic);
    if (this.seen.has(e.id)) {
      this.stats.duplicates += 1;
      return;
    }
    this.remember(e.id);
    this.lastEventId = Math.max(this.lastEventId ?? 0, e.id);
    this.stats.events += 1;
    this.opts.onAlert(e);
  }

  /** @param {number} id */
  remember(id) {
    this.seen.add(id);
    this.order.push(id);
    if (this.order.length > this.window) this.seen.delete(/** @type {number} */ (this.order.shift()));
  }

  /** @param {string} reason @param {string} sample */
  garbage(reason, sample) {
    this.stats.garbage += 1;
    this.stats.garbageBy[reason] = (this.stats.garbageBy[reason] ?? 0) + 1;
    this.opts.onGarbage?.(reason, sample.slice(0, 200));
  }

  /** Disconnects (the broker keeps the session for the next start); resolves when the socket is closed. */
  async stop() {
    const client = this.client;
    this.client = null;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (client) await new Promise((resolve) => client.end(false, {}, () => resolve(undefined)));
    this.opts.onState?.({ state: 'stopped' });
  }
}

module.exports = { MqttAlertSource, loadMqtt, ALERT_TOPIC_PREFIX };
