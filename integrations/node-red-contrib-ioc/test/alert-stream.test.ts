import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../lib/alert-event.js';
import type { AlertStream as AlertStreamType, SourceState } from '../lib/alert-stream.js';
import { AlertStream, prng, waitFor } from './cjs.js';

/** A clock the test moves by hand: backoff and idle timers fire only on `advance`. */
class ManualTimers {
  now = 0;
  #seq = 0;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout = (fn: () => void, ms: number): number => {
    this.#seq += 1;
    this.pending.set(this.#seq, { at: this.now + ms, fn });
    return this.#seq;
  };
  clearTimeout = (h: unknown): void => {
    this.pending.delete(h as number);
  };
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = target;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A hand-written stream server: the n-th request is answered by `script[n]` (the last one repeats). */
async function fakeServer(script: Handler[]): Promise<{ url: string; requests: string[]; open: () => number; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(String(req.headers['last-event-id'] ?? ''));
    script[Math.min(requests.length, script.length) - 1]!(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    open: () => sockets.size,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };
const alert = (id: number): AlertEvent => ({
  id, alertId: `a-${id}`, type: 'opened', ruleId: 'r', ruleName: 'R', severity: 'critical', subject: { site: 'ha-nam-phu-ly' },
  state: 'open', at: 1_764_064_800_000, message: 'm',
});
const frame = (id: number, body: unknown = alert(id)): string => `id: ${id}\nevent: alert\ndata: ${JSON.stringify(body)}\n\n`;
const stream = (text: string, keepOpen = false): Handler => (_req, res) => {
  res.writeHead(200, SSE);
  res.write(': ioc alerts\nretry: 2000\n\n');
  if (text) res.write(text);
  if (!keepOpen) res.end();
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Starts a client on a manual clock with jitter fixed at the middle (delay = 3/4 of the ceiling). */
function client(url: string, extra: Partial<ConstructorParameters<typeof AlertStream>[0]> = {}): { s: AlertStreamType; timers: ManualTimers; alerts: number[]; states: SourceState[]; garbage: string[] } {
  const timers = new ManualTimers();
  const alerts: number[] = [];
  const states: SourceState[] = [];
  const garbage: string[] = [];
  const s = new AlertStream({
    baseUrl: url, token: 'tok', minDelayMs: 1000, maxDelayMs: 60_000, idleTimeoutMs: 45_000, timers, random: () => 0.5,
    onAlert: (e) => alerts.push(e.id), onState: (st) => states.push(st), onGarbage: (r) => garbage.push(r), ...extra,
  });
  cleanup.push(() => s.stop());
  s.start();
  return { s, timers, alerts, states, garbage };
}

const reconnects = (states: SourceState[]): SourceState[] => states.filter((s) => s.state === 'reconnecting');

describe('AlertStream: the SSE client', () => {
  it('resumes with Last-Event-ID after the stream ends, only once the backoff delay has passed, dropping repeats', async () => {
    const server = await fakeServer([stream(frame(1) + frame(2)), stream(frame(2) + frame(3), true)]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('first drop', () => reconnects(c.states).length === 1);
    expect(c.alerts).toEqual([1, 2]);
    expect(reconnects(c.states)[0]).toMatchObject({ delayMs: 750, attempt: 0, error: { code: 'IOC_ERR_NR_STREAM_ENDED' } });
    // Only the backoff timer is pending (the idle timer went with the connection); no request before it fires.
    expect([...c.timers.pending.values()].map((t) => t.at)).toEqual([750]);
    expect(server.requests).toEqual(['']);
    c.timers.advance(750);
    await waitFor('event 3', () => c.alerts.length === 3);
    expect(server.requests).toEqual(['', '2']);
    expect(c.alerts).toEqual([1, 2, 3]);
    expect(c.s.stats).toMatchObject({ connects: 2, events: 3, duplicates: 1, garbage: 0 });
  });

  it('backs off exponentially while refused, reports the cloud’s code, and starts over after a good connection', async () => {
    const refuse: Handler = (_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'IOC_ERR_UNAUTHORIZED', message: 'invalid or revoked token' }));
    const server = await fakeServer([refuse, refuse, refuse, stream(''), stream('')]);
    cleanup.push(server.close);
    const c = client(server.url);
    for (const [i, delay] of [750, 1500, 3000].entries()) {
      await waitFor(`refusal ${i + 1}`, () => reconnects(c.states).length === i + 1);
      expect(reconnects(c.states)[i]).toMatchObject({ delayMs: delay, attempt: i, error: { code: 'IOC_ERR_UNAUTHORIZED', statusCode: 401 } });
      c.timers.advance(delay);
    }
    await waitFor('the good stream to end', () => reconnects(c.states).length === 4);
    expect(reconnects(c.states)[3]).toMatchObject({ delayMs: 750, attempt: 0 });
    expect(c.s.stats.connects).toBe(1);
  });

  it('drops a stream that fell silent (no keep-alive for the idle timeout) and resumes it', async () => {
    const server = await fakeServer([stream(frame(5), true), stream('', true)]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('event 5', () => c.alerts.length === 1);
    c.timers.advance(44_999);
    expect(reconnects(c.states)).toEqual([]);
    c.timers.advance(1);
    expect(reconnects(c.states)[0]).toMatchObject({ error: { code: 'IOC_ERR_NR_IDLE' } });
    await waitFor('the client to close its socket', () => server.open() === 0);
    c.timers.advance(750);
    await waitFor('the resumed request', () => server.requests.length === 2);
    expect(server.requests).toEqual(['', '5']);
  });

  it('keep-alive comments keep a quiet stream up', async () => {
    let res: ServerResponse | undefined;
    const server = await fakeServer([(req, r) => { stream('', true)(req, r); res = r; }]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('hello comment', () => c.s.stats.comments === 1);
    c.timers.advance(44_000);
    res!.write(': keep-alive\n\n');
    await waitFor('keep-alive', () => c.s.stats.comments === 2);
    c.timers.advance(44_000);
    expect(reconnects(c.states)).toEqual([]);
    c.timers.advance(1000);
    expect(reconnects(c.states)).toHaveLength(1);
  });

  it('reports answers that are not an event stream, and unreachable servers, and keeps trying', async () => {
    const server = await fakeServer([(_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>'), stream(frame(1), true)]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('refusal', () => reconnects(c.states).length === 1);
    expect(reconnects(c.states)[0]).toMatchObject({ error: { code: 'IOC_ERR_NR_BAD_RESPONSE' } });
    c.timers.advance(750);
    await waitFor('event 1', () => c.alerts.length === 1);

    const gone = await fakeServer([stream('')]);
    await gone.close();
    const d = client(gone.url);
    await waitFor('unreachable', () => reconnects(d.states).length === 1);
    expect(reconnects(d.states)[0]).toMatchObject({ error: { code: 'IOC_ERR_NR_UNREACHABLE' } });
  });

  it('counts garbage frames by reason and still delivers the valid events around them', async () => {
    const random = prng(0xbad);
    const noise = Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256))).toString('latin1');
    const frames = frame(1) + 'event: alert\ndata: {oops\n\n' + frame(9, alert(2)) + noise + '\n\n' + frame(3);
    const server = await fakeServer([stream(frames), stream('', true)]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('end of the garbage stream', () => reconnects(c.states).length === 1);
    expect(c.alerts).toEqual([1, 3]);
    expect(c.s.stats.garbageBy).toMatchObject({ 'bad-json': 1, 'id-mismatch': 1 });
    expect(c.s.stats.garbage).toBe(c.garbage.length);
    expect(c.s.stats.garbage).toBeGreaterThan(10);
    c.timers.advance(750);
    await waitFor('resume', () => server.requests.length === 2);
    expect(server.requests[1]).toBe('3');
  });

  it('stop() closes the connection, cancels every timer and reports nothing afterwards', async () => {
    let res: ServerResponse | undefined;
    const server = await fakeServer([(req, r) => { stream(frame(1), true)(req, r); res = r; }]);
    cleanup.push(server.close);
    const c = client(server.url);
    await waitFor('event 1', () => c.alerts.length === 1);
    await c.s.stop();
    expect(c.states.at(-1)).toEqual({ state: 'stopped' });
    expect(c.timers.pending.size).toBe(0);
    await waitFor('the server to see the close', () => server.open() === 0);
    const seen = c.states.length;
    res!.write(frame(2));
    c.timers.advance(120_000);
    expect(c.states).toHaveLength(seen);
    expect(c.alerts).toEqual([1]);
  });
});
