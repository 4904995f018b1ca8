// The three probes against real loopback listeners: cameras that answer, refuse, stay silent or talk garbage.
import { afterEach, describe, expect, it } from 'vitest';
import { probeCamera, probeHttp, probeRtsp, probeTcp, rtspVerdict, type ProbeOutcome } from './probes.js';
import { closedPort, mulberry32, randomBytes, startFakeHttp, startFakeRtsp, type FakeCamera } from './test-camera.js';

const HOST = '127.0.0.1';
const TIMEOUT_MS = 300;
const open: FakeCamera[] = [];
const never = new AbortController().signal;

async function rtsp(...args: Parameters<typeof startFakeRtsp>): Promise<FakeCamera> {
  const camera = await startFakeRtsp(...args);
  open.push(camera);
  return camera;
}

async function http(...args: Parameters<typeof startFakeHttp>): Promise<FakeCamera> {
  const camera = await startFakeHttp(...args);
  open.push(camera);
  return camera;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((camera) => camera.close()));
});

describe('tcp probe', () => {
  it('is ok when the port accepts, refused when nothing listens', async () => {
    const camera = await rtsp({ kind: 'silent' });
    expect(await probeTcp(HOST, camera.port, TIMEOUT_MS, never)).toBe('ok');
    expect(await probeTcp(HOST, await closedPort(), TIMEOUT_MS, never)).toBe('refused');
  });
});

describe('rtsp probe', () => {
  it('sends OPTIONS rtsp://host:port/ RTSP/1.0 with CSeq 1 and is ok on RTSP/1.0 200', async () => {
    const camera = await rtsp();
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('ok');
    expect(camera.requests).toEqual([`OPTIONS rtsp://127.0.0.1:${camera.port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`]);
  });

  it('is a bad reply on another status (401 Unauthorized, 503)', async () => {
    const camera = await rtsp({ kind: 'status', code: 401 });
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('bad-reply');
    camera.behaviour = { kind: 'status', code: 503 };
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('bad-reply');
  });

  it('times out on a camera that accepts and never answers, refused on a closed port', async () => {
    const camera = await rtsp({ kind: 'silent' });
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('timeout');
    expect(await probeRtsp(HOST, await closedPort(), TIMEOUT_MS, never)).toBe('refused');
  });

  it('is a bad reply, never a throw, on random bytes (fixed seed), an HTTP answer, or a hang-up', async () => {
    const random = mulberry32(20_251_126);
    const camera = await rtsp({ kind: 'bytes', bytes: () => randomBytes(random, 1 + Math.floor(random() * 64)) });
    const outcomes: ProbeOutcome[] = [];
    for (let i = 0; i < 40; i += 1) outcomes.push(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never));
    expect(outcomes).toEqual(Array(40).fill('bad-reply'));

    camera.behaviour = { kind: 'bytes', bytes: () => Buffer.from('HTTP/1.1 200 OK\r\n\r\n') };
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('bad-reply');
    camera.behaviour = { kind: 'bytes', bytes: () => Buffer.alloc(0) };
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('bad-reply');
    camera.behaviour = { kind: 'bytes', bytes: () => Buffer.from('RTSP/1.0 20') }; // cut mid-line
    expect(await probeRtsp(HOST, camera.port, TIMEOUT_MS, never)).toBe('bad-reply');
  });
});

describe('rtspVerdict', () => {
  it.each([
    ['RTSP/1.0 200 OK\r\n', 'ok'],
    ['RTSP/1.0 200\r\n', 'ok'],
    ['RTSP/1.0 2000 OK\r\n', 'bad-reply'],
    ['RTSP/1.0 404 Not Found\r\n', 'bad-reply'],
    ['RTSP/2.0 200 OK\r\n', 'bad-reply'],
    ['rtsp/1.0 200 OK\r\n', 'bad-reply'],
    ['X', 'bad-reply'],
    ['RTSP/1.0 200 O', undefined],
    ['RTS', undefined],
    ['', undefined],
  ])('%j → %s', (head, verdict) => {
    expect(rtspVerdict(Buffer.from(head, 'latin1'))).toBe(verdict);
  });

  it('decides on every prefix of random bytes without throwing, and never says ok to garbage', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 2000; i += 1) {
      const bytes = randomBytes(random, Math.floor(random() * 600));
      for (const cut of [1, bytes.length >> 1, bytes.length]) expect(rtspVerdict(bytes.subarray(0, cut))).not.toBe('ok');
    }
    expect(rtspVerdict(Buffer.alloc(600, 0x52))).toBe('bad-reply'); // 'RRRR…': cannot become a status line
  });
});

describe('http probe', () => {
  it('is ok on 2xx, an http-status miss on anything else, and GETs the configured path', async () => {
    const camera = await http();
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status?cam=7`, TIMEOUT_MS, never)).toBe('ok');
    expect(camera.requests).toEqual(['GET /status?cam=7']);
    camera.behaviour = { kind: 'status', code: 204 };
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status`, TIMEOUT_MS, never)).toBe('ok');
    camera.behaviour = { kind: 'status', code: 503 };
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status`, TIMEOUT_MS, never)).toBe('http-status');
    camera.behaviour = { kind: 'status', code: 301 };
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status`, TIMEOUT_MS, never)).toBe('http-status');
  });

  it('times out on silence and is refused on a closed port', async () => {
    const camera = await http({ kind: 'silent' });
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status`, TIMEOUT_MS, never)).toBe('timeout');
    expect(await probeHttp(`http://127.0.0.1:${await closedPort()}/status`, TIMEOUT_MS, never)).toBe('refused');
  });

  it('is an error, not a throw, on garbage from a non-HTTP server', async () => {
    const random = mulberry32(99);
    const camera = await rtsp({ kind: 'bytes', bytes: () => randomBytes(random, 64) });
    // The fake RTSP server answers after a blank line, which an HTTP GET also ends with.
    expect(await probeHttp(`http://127.0.0.1:${camera.port}/status`, TIMEOUT_MS, never)).toBe('error');
  });
});

describe('probeCamera', () => {
  it('dispatches by kind and stops at once when aborted', async () => {
    const camera = await rtsp({ kind: 'silent' });
    expect(await probeCamera({ kind: 'tcp', host: HOST, port: camera.port }, TIMEOUT_MS, never)).toBe('ok');
    const abort = new AbortController();
    const pending = probeCamera({ kind: 'rtsp', host: HOST, port: camera.port }, 60_000, abort.signal);
    abort.abort();
    expect(await pending).toBe('aborted');
    const aborted = AbortSignal.abort();
    expect(await probeCamera({ kind: 'http', url: `http://127.0.0.1:${camera.port}/` }, 60_000, aborted)).toBe('aborted');
  });
});
