'use strict';

const { StringDecoder } = require('node:string_decoder');

/**
 * @typedef {object} SseMessage  One dispatched event (WHATWG HTML, "event stream interpretation").
 * @property {string} type         The `event:` field, or 'message' when absent.
 * @property {string} data         The `data:` lines joined with '\n'.
 * @property {string} lastEventId  The event source's last event ID after this event ('' when none was ever set).
 * @property {boolean} hasId       Whether this very event carried an `id:` field.
 */

/**
 * @typedef {object} SseParserOptions
 * @property {(m: SseMessage) => void} onEvent
 * @property {(text: string) => void} [onComment]  A line starting with ':' (the server's keep-alive).
 * @property {(ms: number) => void} [onRetry]       A valid `retry:` field, in ms.
 * @property {(reason: string) => void} [onGarbage] Input the parser had to discard; never called for valid input.
 * @property {number} [maxLineChars]   A longer line is discarded (reason 'line-too-long'). Default 1 MiB.
 * @property {number} [maxEventChars]  Data beyond this discards the event (reason 'event-too-large'). Default 4 MiB.
 */

const DEFAULT_MAX_LINE = 1024 * 1024;
const DEFAULT_MAX_EVENT = 4 * 1024 * 1024;

/**
 * Incremental text/event-stream parser. Feed it chunks split anywhere (even inside a UTF-8 sequence or
 * between CR and LF); it never throws on input and bounds its memory by the two limits above.
 * Follows the spec: lines end with CRLF, LF or CR; one leading BOM is skipped; one space after the
 * colon is dropped; an `id` containing NUL is ignored; an unterminated last event is discarded.
 */
class SseParser {
  /** @param {SseParserOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.maxLine = opts.maxLineChars ?? DEFAULT_MAX_LINE;
    this.maxEvent = opts.maxEventChars ?? DEFAULT_MAX_EVENT;
    this.decoder = new StringDecoder('utf8');
    /** Text of the current, unterminated line. */
    this.line = '';
    /** True while skipping the rest of an over-long line. */
    this.skipping = false;
    /** The previous chunk ended with CR: a leading LF in the next one belongs to that line end. */
    this.pendingCR = false;
    this.started = false;
    this.data = '';
    this.dataLines = 0;
    this.eventType = '';
    this.idBuffer = '';
    this.idSeen = false;
    this.eventOversize = false;
    /** The stream's last event ID: survives across events, as in EventSource. */
    this.lastEventId = '';
  }

  /** @param {Buffer | string} chunk */
  push(chunk) {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.scan(text);
  }

  /** The stream closed: flushes the decoder; a partial line or event is dropped, as the spec says. */
  end() {
    this.scan(this.decoder.end());
    if (this.line.length > 0 || this.dataLines > 0) this.opts.onGarbage?.('unterminated-event');
    this.line = '';
    this.resetEvent();
  }

  /** @param {string} text */
  scan(text) {
    let start = 0;
    if (this.pendingCR && text.length > 0) {
      this.pendingCR = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.append(text.slice(start, i));
      this.endLine();
      if (c === 13) {
        if (i + 1 === text.length) this.pendingCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.append(text.slice(start));
  }

  /** @param {string} part */
  append(part) {
    if (this.skipping || part.length === 0) return;
    if (this.line.length + part.length > this.maxLine) {
      this.skipping = true;
      this.line = '';
      this.opts.onGarbage?.('line-too-long');
      return;
    }
    this.line += part;
  }

  endLine() {
    const line = this.line;
    this.line = '';
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (line.length === 0) return this.dispatch();
    if (line.charCodeAt(0) === 58) return this.opts.onComment?.(line.slice(1));
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.field(field, value);
  }

  /**
   * @param {string} field
   * @param {string} value
   */
  field(field, value) {
    switch (field) {
      case 'event':
        this.eventType = value;
        return;
      case 'data':
        if (this.eventOversize) return;
        if (this.data.length + value.length > this.maxEvent) {
          this.eventOversize = true;
          this.data = '';
          this.opts.onGarbage?.('event-too-large');
          return;
        }
        this.data += value + '\n';
        this.dataLines += 1;
        return;
      case 'id':
        if (value.includes('\0')) return this.opts.onGarbage?.('id-with-nul');
        this.idBuffer = value;
        this.idSeen = true;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.opts.onRetry?.(Number(value));
        else this.opts.onGarbage?.('bad-retry');
        return;
      default:
        this.opts.onGarbage?.('unknown-field');
    }
  }

  dispatch() {
    if (this.idSeen) this.lastEventId = this.idBuffer;
    const hasId = this.idSeen;
    if (this.dataLines > 0 && !this.eventOversize) {
      this.opts.onEvent({ type: this.eventType || 'message', data: this.data.slice(0, -1), lastEventId: this.lastEventId, hasId });
    }
    this.resetEvent();
  }

  resetEvent() {
    this.data = '';
    this.dataLines = 0;
    this.eventType = '';
    this.idSeen = false;
    this.eventOversize = false;
  }
}

module.exports = { SseParser };
