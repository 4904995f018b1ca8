'use strict';

const { SseParser } = require('./sse-parser');
const { parseAlertEvent } = require('./alert-event');
const { backoffDelay } = require('./backoff');
const { apiUrl, transport } = require('./http-json');
const { ErrorCode, iocError } = require('./errors');

/**
 * @typedef {import('./alert-event').AlertEvent} AlertEvent
 * @typedef {{ setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (handle: any) => void }} Timers
 *
 * @typedef {object} SourceState  What the node shows as its status.
 * @property {'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped'} state  'failed': connected but
 *   useless until reconfigured (the broker refused the subscription).
 * @property {number} [delayMs]  When reconnecting: ms until the next attempt.
 * @property {number} [attempt]  When reconnecting: 0 for the first retry after a drop.
 * @property {Error & { code?: string, statusCode?: number }} [error]  Why the last connection ended.
 *
 * @typedef {object} SourceStats  Counters since the source started; never reset.
 * @property {number} connects    Connections that reached `connected`.
 * @property {number} events      Alert events delivered (after de-duplication).
 * @property {number} duplicates  Events at or below the last delivered id, dropped.
 * @property {number} garbage     Frames or bytes that were not a valid alert event; see `garbageBy`.
 * @property {Record<string, number>} garbageBy  Garbage by reason ('bad-json', 'bad-id', 'unknown-field', …).
 * @property {number} ignored     Well-formed events of another type than `alert` (forward compatibility).
 * @property {number} comments    Comment lines (keep-alives).
 *
 * @typedef {object} AlertStreamOptions
 * @property {string} baseUrl           The cloud's base URL, e.g. "https://ioc.example.vn".
 * @property {string} token             API token (role reader or above), sent as a Bearer header.
 * @property {number} [lastEventId]     Resume after this event id; absent: live events only.
 * @property {number} [minDelayMs]      Reconnect backoff floor. Default 1000.
 * @property {number} [maxDelayMs]      Reconnect backoff ceiling. Default 60000.
 * @property {number} [idleTimeoutMs]   Reconnect when nothing (not even a keep-alive) arrived for this long.
 *                                      Default 45000 (three of the server's 15 s keep-alives).
 * @property {(e: AlertEvent) => void} onAlert  Each event once, in id order.
 * @property {(s: SourceState) => void} [onState]
 * @property {(reason: string, sample: string) => void} [onGarbage]
 * @property {Timers} [timers]          Injectable clock for backoff and idle timeout.
 * @property {() => number} [random]    Injectable jitter source.
 */

const STREAM_PATH = '/api/v1/alerts/stream';

/**
 * A resilient client of `GET /api/v1/alerts/stream`: connects, parses, de-duplicates by event id,
 * reconnects with jittered exponential backoff and `Last-Event-ID` so that a dropped connection loses
 * nothing. The server's `retry:` hint is read but the configured backoff decides (an EventSource
 * convention that would make every client reconnect at the same instant).
 *
 * Contract: after `stop()` resolves no callback is called and no socket or timer is left.
 */
class AlertStream {
  /** @param {AlertStreamOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.url = apiUrl(opts.baseUrl, STREAM_PATH);
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) };
    this.range = { minMs: opts.minDelayMs ?? 1000, maxMs: Math.max(opts.maxDelayMs ?? 60_000, opts.minDelayMs ?? 1000) };
    this.idleMs = opts.idleTimeoutMs ?? 45_000;
    /** @type {number | undefined} The id of the last event delivered: where a reconnect resumes. */
    this.lastEventId = opts.lastEventId;
    /** @type {SourceStats} */
    this.stats = { connects: 0, events: 0, duplicates: 0, garbage: 0, garbageBy: {}, ignored: 0, comments: 0 };
    this.attempt = 0;
    this.stopped = true;
    /** @type {import('node:http').ClientRequest | null} */
    this.req = null;
    /** @type {unknown} */
    this.retryTimer = null;
    /** @type {unknown} */
    this.idleTimer = null;
    /** Resolves once the current request's socket is closed (for stop()). */
    this.closed = Promise.resolve();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes the connection and cancels every timer; resolves when the socket is closed. */
  async stop() {
    this.stopped = true;
    this.clearTimer('retryTimer');
    this.clearTimer('idleTimer');
    this.req?.destroy();
    this.req = null;
    await this.closed;
    this.opts.onState?.({ state: 'stopped' });
  }

  connect() {
    this.opts.onState?.({ state: 'connecting' });
    /** @type {Record<string, string>} */
    const headers = { accept: 'text/event-stream', 'cache-control': 'no-cache', authorization: `Bearer ${this.opts.token}` };
    if (this.lastEventId !== undefined) headers['last-event-id'] = String(this.lastEventId);
    const req = transport(this.url).request(this.url, { method: 'GET', headers });
    this.req = req;
    let ended = false;
    /** Called once per request, whatever ends it. @param {Error & { code?: string }} err */
    const end = (err) => {
      if (ended) return;
      ended = true;
      req.destroy();
      this.dropped(req, err);
    };
    this.closed = new Promise((resolve) => req.on('close', () => resolve(undefined)));
    req.on('socket', (s) => s.setNoDelay(true));
    req.on('error', (err) => end(iocError(ErrorCode.UNREACHABLE, `${this.url.host}: ${err.message}`, { cause: err })));
    req.on('response', (res) => this.opened(req, res, end));
    req.end();
    this.armIdle(req, end);
  }

  /**
   * @param {import('node:http').ClientRequest} req
   * @param {import('node:http').IncomingMessage} res
   * @param {(err: Error) => void} end
   */
  opened(req, res, end) {
    // Destroying the request (stop, idle timeout) makes the response emit 'error'; `end` already ran then.
    res.on('error', (err) => end(iocError(ErrorCode.UNREACHABLE, `stream broke: ${err.message}`, { cause: err })));
    const type = String(res.headers['content-type'] ?? '');
    if (res.statusCode !== 200) return this.refused(res, end);
    if (!type.startsWith('text/event-stream')) {
      res.resume();
      return end(iocError(ErrorCode.BAD_RESPONSE, `stream answered with content-type "${type}", not text/event-stream`));
    }
    this.stats.connects += 1;
    this.opts.onState?.({ state: 'connected' });
    const parser = this.parser();
    res.on('data', (/** @type {Buffer} */ chunk) => {
      if (this.req !== req) return;
      this.armIdle(req, end);
      parser.push(chunk);
    });
    res.on('end', () => {
      if (this.req === req) parser.end();
      end(iocError(ErrorCode.STREAM_ENDED, 'the server ended the stream'));
    });
  }

  /**
   * A non-200 answer: the cloud's `{ code, message }` names the reason (IOC_ERR_UNAUTHORIZED, …).
   * @param {import('node:http').IncomingMessage} res
   * @param {(err: Error) => void} end
   */
  refused(res, end) {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (/** @type {string} */ c) => { if (text.length < 4096) text += c; });
    res.on('end', () => {
      /** @type {{ code?: unknown, message?: unknown }} */
      let body = {};
      try { body = /** @type {typeof body} */ (JSON.parse(text)) ?? {}; } catch { /* not JSON: the status says enough */ }
      const code = typeof body.code === 'string' && body.code.startsWith('IOC_ERR_') ? body.code : ErrorCode.HTTP_STATUS;
      const why = typeof body.message === 'string' ? body.message : `HTTP ${res.statusCode}`;
      end(iocError(code, `stream refused: ${res.statusCode} ${why}`, { statusCode: res.statusCode ?? 0 }));
    });
  }

  /** @returns {SseParser} */
  parser() {
    return new SseParser({
      onEvent: (m) => this.frame(m),
      onComment: () => {
        this.stats.comments += 1;
        this.attempt = 0;
      },
      onGarbage: (reason) => this.garbage(reason, ''),
    });
  }

  /** @param {import('./sse-parser').SseMessage} m */
  frame(m) {
    if (m.type !== 'alert') {
      this.stats.ignored += 1;
      return;
    }
    const parsed = parseAlertEvent(m.data);
    if (!parsed.ok) return this.garbage(parsed.reason, m.data);
    const e = parsed.event;
    if (m.hasId && m.lastEventId !== String(e.id)) return this.garbage('id-mismatch', m.data);
    this.attempt = 0;
    if (this.lastEventId !== undefined && e.id <= this.lastEventId) {
      this.stats.duplicates += 1;
      return;
    }
    this.lastEventId = e.id;
    this.stats.events += 1;
    this.opts.onAlert(e);
  }

  /** @param {string} reason @param {string} sample */
  garbage(reason, sample) {
    this.stats.garbage += 1;
    this.stats.garbageBy[reason] = (this.stats.garbageBy[reason] ?? 0) + 1;
    this.opts.onGarbage?.(reason, sample.slice(0, 200));
  }

  /**
   * (Re)starts the idle timer of the current request: bytes of any kind (events, keep-alives) prove the link.
   * @param {import('node:http').ClientRequest} req
   * @param {(err: Error) => void} end
   */
  armIdle(req, end) {
    this.clearTimer('idleTimer');
    if (this.idleMs <= 0) return;
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = null;
      if (this.req === req) end(iocError(ErrorCode.IDLE, `nothing received for ${this.idleMs} ms`));
    }, this.idleMs);
  }

  /**
   * @param {import('node:http').ClientRequest} req
   * @param {Error} err
   */
  dropped(req, err) {
    if (this.req !== req || this.stopped) return;
    this.req = null;
    this.clearTimer('idleTimer');
    const delayMs = backoffDelay(this.attempt, this.range, this.opts.random);
    this.opts.onState?.({ state: 'reconnecting', delayMs, attempt: this.attempt, error: err });
    this.attempt += 1;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }

  /** @param {'retryTimer' | 'idleTimer'} name */
  clearTimer(name) {
    if (this[name] !== null) this.timers.clearTimeout(this[name]);
    this[name] = null;
  }
}

module.exports = { AlertStream, STREAM_PATH };
