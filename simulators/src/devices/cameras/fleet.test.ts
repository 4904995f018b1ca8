// The camera fleet seen by plain sockets and http.get written here (not the edge's probes).
import { get } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPrng } from '../../util/prng.js';
import { CameraFleet } from './fleet.js';

let fleet: CameraFleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

interface Exchange {
  /** Bytes received before the camera closed or `waitMs` passed. */
  bytes: Buffer;
  /** 'ECONNREFUSED', 'closed' (the camera hung up), 'answered' (enough came), or 'open' (still open after waitMs). */
  end: string;
}

/** Connects, sends `request`, collects the answer until the peer closes, `enough` holds, or `waitMs` passes. */
function exchange(port: number, request: string, waitMs = 300, enough?: (bytes: Buffer) => boolean): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const finish = (end: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), end });
    };
    const timer = setTimeout(() => finish('open'), waitMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (enough?.(Buffer.concat(chunks))) finish('answered');
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
  });
}

/** OPTIONS and read the first reply (the camera keeps the connection open: stop at the blank line). */
async function options(port: number, cseq = 1): Promise<string> {
  const request = `OPTIONS rtsp://127.0.0.1:${port}/ RTSP/1.0\r\nCSeq: ${cseq}\r\n\r\n`;
  const oneReply = (bytes: Buffer): boolean => bytes.includes('\r\n\r\n');
  return (await exchange(port, request, 1000, oneReply)).bytes.toString('latin1');
}

function httpStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.setTimeout(300, () => {
      req.destroy();
      resolve('timeout');
    });
  });
}

describe('CameraFleet', () => {
  it('answers RTSP OPTIONS with 200 and the status page with 200, each camera on its own ports', async () => {
    fleet = new CameraFleet({ cameras: [{ id: 'cam-01' }, { id: 'cam-02', protocols: 'rtsp' }, { id: 'cam-03', protocols: 'http' }] });
    await fleet.start();
    const [c1, c2, c3] = fleet.endpoints();
    expect(new Set([c1?.rtspPort, c1?.httpPort, c2?.rtspPort, c3?.httpPort]).size).toBe(4);
    expect(c2?.httpPort).toBe(0);
    expect(c3?.rtspPort).toBe(0);

    expect(await options(c1?.rtspPort ?? 0, 7)).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 7\r\n/);
    expect(await options(c2?.rtspPort ?? 0)).toMatch(/^RTSP\/1\.0 200 OK\r\n/);
    expect(c1?.statusUrl).toBe(`http://127.0.0.1:${c1?.httpPort}/status`);
    expect(await httpStatus(c1?.statusUrl ?? '')).toBe(200);
    expect(await httpStatus(`http://127.0.0.1:${c3?.httpPort}/other`)).toBe(404);
    expect(fleet.stats()).toMatchObject({ rtspRequests: 2, rtspOk: 2, httpRequests: 2 });
  });

  it('answers pipelined requests on one connection, and 400 to a request without CSeq', async () => {
    fleet = new CameraFleet({ cameras: [{ id: 'cam-01', protocols: 'rtsp' }] });
    await fleet.start();
    const port = fleet.camera('cam-01').rtspPort;
    const two = 'OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\nDESCRIBE rtsp://x/s RTSP/1.0\r\nCSeq: 2\r\n\r\n';
    const { bytes, end } = await exchange(port, two);
    expect(bytes.toString('latin1').match(/^RTSP\/1\.0 \d+/gm)).toEqual(['RTSP/1.0 200', 'RTSP/1.0 401']);
    expect(end).toBe('open');
    const bad = await exchange(port, 'OPTIONS rtsp://x/ RTSP/1.0\r\n\r\n');
    expect(bad.bytes.toString('latin1')).toMatch(/^RTSP\/1\.0 400 Bad Request/);
    expect(bad.end).toBe('closed');
  });

  it('refuses connections while set down, and answers again on the same ports once up', async () => {
    fleet = new CameraFleet({ cameras: [{ id: 'cam-01' }, { id: 'cam-02' }], syncIntervalMs: 0 });
    await fleet.start();
    const cam = fleet.camera('cam-01');
    await fleet.setUp('cam-01', false);
    expect(fleet.isUp('cam-01')).toBe(false);
    expect((await exchange(cam.rtspPort, 'OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n')).end).toBe('ECONNREFUSED');
    expect(await httpStatus(cam.statusUrl)).toBe('ECONNREFUSED');
    expect(await options(fleet.camera('cam-02').rtspPort)).toMatch(/^RTSP\/1\.0 200/); // the other camera is unaffected

    await fleet.setUp('cam-01', true);
    expect(fleet.camera('cam-01')).toEqual(cam);
    expect(await options(cam.rtspPort)).toMatch(/^RTSP\/1\.0 200/);
    expect(await httpStatus(cam.statusUrl)).toBe(200);
  });

  it('goes down between fromMs and toMs after start, on its injected clock', async () => {
    let now = 1_000_000;
    fleet = new CameraFleet({
      cameras: [{ id: 'cam-01', protocols: 'rtsp', down: [{ fromMs: 60_000, toMs: 120_000 }] }],
      clock: () => now,
      syncIntervalMs: 0,
    });
    await fleet.start();
    const port = fleet.camera('cam-01').rtspPort;
    const at = async (t: number): Promise<string> => {
      now = 1_000_000 + t;
      await fleet?.sync();
      const { bytes, end } = await exchange(port, 'OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n');
      return bytes.length > 0 ? bytes.toString('latin1').slice(0, 12) : end;
    };
    expect(await at(59_999)).toBe('RTSP/1.0 200');
    expect(await at(60_000)).toBe('ECONNREFUSED');
    expect(await at(119_999)).toBe('ECONNREFUSED');
    expect(await at(120_000)).toBe('RTSP/1.0 200');
    // A manual state wins over the schedule until cleared.
    now = 1_000_000 + 90_000;
    await fleet.setUp('cam-01', true);
    expect(fleet.isUp('cam-01')).toBe(true);
    await fleet.setUp('cam-01', undefined);
    expect(fleet.isUp('cam-01')).toBe(false);
  });

  it('applies the schedule by itself every syncIntervalMs', async () => {
    let now = 0;
    fleet = new CameraFleet({ cameras: [{ id: 'cam-01', protocols: 'rtsp', down: [{ fromMs: 1000, toMs: 2000 }] }], clock: () => now, syncIntervalMs: 10 });
    await fleet.start();
    const port = fleet.camera('cam-01').rtspPort;
    now = 1500;
    await until(async () => (await exchange(port, '')).end === 'ECONNREFUSED');
    now = 2500;
    await until(async () => (await options(port)).startsWith('RTSP/1.0 200'));
  });

  it('when down in silent mode accepts and never answers; in garbage mode sends seeded random bytes and hangs up', async () => {
    fleet = new CameraFleet({
      cameras: [
        { id: 'cam-hung', downMode: 'silent' },
        { id: 'cam-noisy', downMode: 'garbage', protocols: 'rtsp' },
      ],
      seed: 5,
    });
    await fleet.start();
    await fleet.setUp('cam-hung', false);
    await fleet.setUp('cam-noisy', false);
    const hung = await exchange(fleet.camera('cam-hung').rtspPort, 'OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n', 200);
    expect(hung).toEqual({ bytes: Buffer.alloc(0), end: 'open' });
    expect(await httpStatus(fleet.camera('cam-hung').statusUrl)).toBe('timeout');

    const prng = createPrng(5);
    const expected = Buffer.from(Array.from({ length: prng.int(1, 64) }, () => prng.int(0, 255)));
    const noisy = await exchange(fleet.camera('cam-noisy').rtspPort, 'OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n');
    expect(noisy).toEqual({ bytes: expected, end: 'closed' });
    expect(fleet.stats()).toMatchObject({ silentConnections: 2, garbageBytes: expected.length, rtspRequests: 0 });
  });

  it('closes every port on stop and refuses bad configs', async () => {
    fleet = new CameraFleet({ cameras: [{ id: 'cam-01' }] });
    await fleet.start();
    const cam = fleet.camera('cam-01');
    await fleet.stop();
    expect((await exchange(cam.rtspPort, '')).end).toBe('ECONNREFUSED');
    expect(await httpStatus(cam.statusUrl)).toBe('ECONNREFUSED');
    expect(() => new CameraFleet({ cameras: [{ id: 'a' }, { id: 'a' }] })).toThrow(RangeError);
    expect(() => new CameraFleet({ cameras: [{ id: 'a', down: [{ fromMs: 5, toMs: 5 }] }] })).toThrow(RangeError);
    expect(() => fleet?.camera('nope')).toThrow(expect.objectContaining({ code: 'IOC_ERR_SIM_UNKNOWN' }));
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
