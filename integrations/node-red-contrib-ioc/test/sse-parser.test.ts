import { describe, expect, it } from 'vitest';
import type { SseMessage } from '../lib/sse-parser.js';
import { prng, SseParser } from './cjs.js';

interface Parsed {
  events: SseMessage[];
  comments: string[];
  retries: number[];
  garbage: string[];
}

/** Feeds `chunks` (strings or bytes, split anywhere) to a fresh parser and collects what it reports. */
function parse(chunks: (string | Buffer)[], opts: { maxLineChars?: number; maxEventChars?: number; end?: boolean } = {}): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [], garbage: [] };
  const p = new SseParser({
    onEvent: (m) => out.events.push(m), onComment: (c) => out.comments.push(c), onRetry: (ms) => out.retries.push(ms),
    onGarbage: (r) => out.garbage.push(r), ...opts,
  });
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c) : c);
  if (opts.end) p.end();
  return out;
}

/** Every split of `text` into two chunks, at every byte. */
function splits(text: string): Buffer[][] {
  const bytes = Buffer.from(text);
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]);
}

const SERVER_FRAMES = ': ioc alerts\nretry: 2000\n\nid: 7\nevent: alert\ndata: {"a":"Hà Nam"}\n\n: keep-alive\n\nid: 8\nevent: alert\ndata: {"b":2}\n\n';

describe('SSE parser (WHATWG event stream interpretation)', () => {
  it('reads the cloud’s frames: comments, retry, id, event, data', () => {
    const out = parse([SERVER_FRAMES]);
    expect(out.comments).toEqual([' ioc alerts', ' keep-alive']);
    expect(out.retries).toEqual([2000]);
    expect(out.events).toEqual([
      { type: 'alert', data: '{"a":"Hà Nam"}', lastEventId: '7', hasId: true },
      { type: 'alert', data: '{"b":2}', lastEventId: '8', hasId: true },
    ]);
    expect(out.garbage).toEqual([]);
  });

  it('gives the same events whatever the chunk boundaries, including inside UTF-8 sequences and CRLF', () => {
    const crlf = SERVER_FRAMES.replaceAll('\n', '\r\n');
    const expected = parse([SERVER_FRAMES]).events;
    for (const text of [SERVER_FRAMES, crlf, SERVER_FRAMES.replaceAll('\n', '\r')]) {
      for (const chunks of splits(text)) expect(parse(chunks).events).toEqual(expected);
    }
    // One byte at a time.
    expect(parse([...Buffer.from(crlf)].map((b) => Buffer.from([b]))).events).toEqual(expected);
  });

  it('joins data lines, defaults the type to "message", keeps the last id across events, strips one space only', () => {
    const out = parse(['data:first\ndata:  second\n\nid: 42\ndata\n\ndata: x\n\n']);
    expect(out.events).toEqual([
      { type: 'message', data: 'first\n second', lastEventId: '', hasId: false },
      { type: 'message', data: '', lastEventId: '42', hasId: true },
      { type: 'message', data: 'x', lastEventId: '42', hasId: false },
    ]);
  });

  it('skips a leading BOM; ignores an id with NUL, bad retry and unknown fields, reporting each', () => {
    const out = parse(['\uFEFFid: 1\nevent: alert\ndata: a\n\nid: 2\0\nretry: soon\nfoo: bar\nevent: alert\ndata: b\n\n']);
    expect(out.events.map((e) => [e.data, e.lastEventId])).toEqual([['a', '1'], ['b', '1']]);
    expect(out.garbage).toEqual(['id-with-nul', 'bad-retry', 'unknown-field']);
  });

  it('does not dispatch an event without data, nor an unterminated one at the end of the stream', () => {
    const out = parse(['event: alert\n\nid: 3\nevent: alert\ndata: half'], { end: true });
    expect(out.events).toEqual([]);
    expect(out.garbage).toEqual(['unterminated-event']);
  });

  it('bounds memory: an over-long line and an over-large event are discarded and reported, the stream goes on', () => {
    const long = 'x'.repeat(5000);
    const out = parse([`data: ${long}`, `${long}\n\n`, `data: ${'y'.repeat(900)}\ndata: ${'z'.repeat(900)}\n\n`, 'data: ok\n\n'], { maxLineChars: 1000, maxEventChars: 1500 });
    expect(out.garbage).toEqual(['line-too-long', 'event-too-large']);
    expect(out.events.map((e) => e.data)).toEqual(['ok']);
  });

  it('never throws on random bytes (fixed seed) and still parses a valid frame after them', () => {
    const random = prng(0x10c);
    let garbage = 0;
    for (let round = 0; round < 200; round++) {
      const p = new SseParser({ onEvent: () => undefined, onGarbage: () => (garbage += 1), maxLineChars: 512 });
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 2048) }, () => Math.floor(random() * 256)));
      let at = 0;
      while (at < bytes.length) {
        const n = 1 + Math.floor(random() * 300);
        p.push(bytes.subarray(at, at + n));
        at += n;
      }
      const after: string[] = [];
      const check = new SseParser({ onEvent: (m) => after.push(m.data) });
      check.push(bytes);
      check.push(Buffer.from('\n\nevent: alert\ndata: {"ok":true}\n\n'));
      expect(after.at(-1)).toBe('{"ok":true}');
      p.end();
    }
    // Random bytes are mostly lines with unknown field names: each is counted.
    expect(garbage).toBeGreaterThan(200);
  });
});
