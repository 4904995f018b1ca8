// The camera driver in probe mode against real loopback cameras, with tiny intervals. Assertions are on the order of
// events (the missed count at the moment each reading is emitted), never on elapsed time.
import type { Reading } from '@ioc/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { harness, sleep, until, type Harness } from '../opcua/test-support.js';
import { createCameraDriver } from './driver.js';
import { probeCamera, type ProbeFn } from './probes.js';
import { closedPort, startFakeHttp, startFakeRtsp, type FakeCamera } from './test-camera.js';

const T = Date.UTC(2025, 4, 1, 7, 0, 0);

/** A reading and the camera's consecutive-miss count when it was emitted. */
interface Seen {
  reading: Reading;
  missed: number;
  failures: number;
}

let driver: Driver | undefined;
const cameras: FakeCamera[] = [];

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
  await Promise.all(cameras.splice(0).map((c) => c.close()));
});

function start(h: Harness, list: unknown[], extra: Record<string, unknown> = {}): { driver: Driver; seen: Seen[] } {
  const seen: Seen[] = [];
  const config = drivers.camera.parseConfig(
    { driver: 'camera', id: 'cams', intervalMs: 100, timeoutMs: 80, missedHeartbeats: 3, cameras: list, ...extra },
    'inputs[0]',
  );
  const sink = h.ctx.sink;
  const d = drivers.camera.create(config, {
    ...h.ctx,
    sink: (readings) => {
      const stats = d.stats();
      for (const r of readings) seen.push({ reading: r, missed: stats[`${r.sensor}.missed`] ?? -1, failures: stats[`${r.sensor}.failures`] ?? -1 });
      sink(readings);
    },
  });
  driver = d;
  return { driver: d, seen };
}

const of = (seen: Seen[], sensor: string): Seen[] => seen.filter((s) => s.reading.sensor === sensor);

describe('camera driver, probe mode', () => {
  it('reports each camera online through its own probe, stamped with the agent clock', async () => {
    const rtsp = await startFakeRtsp();
    const http = await startFakeHttp();
    cameras.push(rtsp, http);
    const h = harness(() => T);
    const { driver: d, seen } = start(h, [
      { id: 'cam-rtsp', probe: 'rtsp', host: '127.0.0.1', port: rtsp.port },
      { id: 'cam-http', probe: 'http', url: `http://127.0.0.1:${http.port}/status` },
      { id: 'cam-tcp', probe: 'tcp', host: '127.0.0.1', port: rtsp.port },
    ]);
    await d.start();
    await until(() => ['cam-rtsp', 'cam-http', 'cam-tcp'].every((id) => of(seen, id).length >= 2), 'two rounds');
    for (const s of seen) expect(s.reading).toEqual({ sensor: s.reading.sensor, metric: 'camera_online', ts: T, value: 1, quality: 'good' });
    expect(rtsp.requests.length).toBeGreaterThanOrEqual(2);
    expect(http.requests[0]).toBe('GET /status');
    expect(d.stats()).toMatchObject({ camerasOnline: 3, camerasOffline: 0, 'cam-rtsp.online': 1, probeErrors: 0 });
  });

  it('says nothing of a dead camera until exactly missedHeartbeats misses, then reports it offline', async () => {
    const h = harness(() => T);
    const { driver: d, seen } = start(h, [{ id: 'cam-dead', host: '127.0.0.1', port: await closedPort() }]);
    await d.start();
    await until(() => seen.length >= 2, 'two readings');
    expect(seen[0]).toMatchObject({ reading: { sensor: 'cam-dead', value: 0 }, missed: 3, failures: 3 });
    expect(seen[1]).toMatchObject({ reading: { value: 0 }, missed: 4 });
    expect(d.stats()).toMatchObject({ camerasOffline: 1, wentOffline: 1, probeRefused: 4 });
  });

  it('keeps a failing camera online for N−1 misses, offline at the N-th, online again at the first answer', async () => {
    const rtsp = await startFakeRtsp();
    cameras.push(rtsp);
    const h = harness(() => T);
    const { driver: d, seen } = start(h, [{ id: 'cam-1', host: '127.0.0.1', port: rtsp.port }]);
    await d.start();
    await until(() => seen.length >= 2, 'the camera online');

    rtsp.behaviour = { kind: 'status', code: 503 }; // the stream service is down, the camera still answers
    const flippedAt = seen.length;
    await until(() => seen.some((s) => s.reading.value === 0), 'the camera offline');
    // A probe already answered before the flip may still report; from the first miss on, the count decides.
    const after = seen.slice(flippedAt);
    const firstMiss = after.findIndex((s) => s.missed === 1);
    const offline = after.findIndex((s) => s.reading.value === 0);
    expect(after.slice(0, firstMiss).every((s) => s.reading.value === 1 && s.missed === 0)).toBe(true);
    expect(after.slice(firstMiss, offline + 1).map((s) => [s.reading.value, s.missed])).toEqual([
      [1, 1],
      [1, 2],
      [0, 3],
    ]);

    rtsp.behaviour = { kind: 'answer' };
    const before = seen.length;
    await until(() => seen.slice(before).some((s) => s.reading.value === 1), 'the camera back');
    const back = seen.slice(before).find((s) => s.reading.value === 1);
    expect(back?.missed).toBe(0);
    expect(seen.slice(before).filter((s) => s.reading.value === 0).every((s) => s.missed >= 3)).toBe(true);
    expect(d.stats()).toMatchObject({ 'cam-1.online': 1, wentOffline: 1 });
    expect(d.stats().probeBadReplies).toBeGreaterThanOrEqual(3);
  });

  it('watches 200 cameras with at most `concurrency` probes in flight', async () => {
    const rtsp = await startFakeRtsp();
    cameras.push(rtsp);
    let inFlight = 0;
    let maxInFlight = 0;
    const counted: ProbeFn = async (target, timeoutMs, signal) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await probeCamera(target, timeoutMs, signal);
      } finally {
        inFlight -= 1;
      }
    };
    const list = Array.from({ length: 200 }, (_, i) => ({ id: `cam-${i}`, host: '127.0.0.1', port: rtsp.port }));
    const config = drivers.camera.parseConfig(
      { driver: 'camera', id: 'cams', intervalMs: 60_000, timeoutMs: 5000, concurrency: 8, cameras: list },
      'inputs[0]',
    );
    const h = harness(() => T);
    driver = createCameraDriver(config, h.ctx, counted);
    await driver.start();
    await until(() => h.readings.length === 200, 'one reading per camera');
    expect(new Set(h.readings.map((r) => r.sensor)).size).toBe(200);
    expect(maxInFlight).toBe(8);
    expect(rtsp.requests).toHaveLength(200);
    expect(driver.stats()).toMatchObject({ camerasOnline: 200, probes: 200, probesSkipped: 0 });
    // 200 cameras ÷ 8 × 5 s could outlast the 60 s interval if they all time out: the technician is warned.
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.obj)).toEqual([{ worstRoundMs: 125_000, intervalMs: 60_000 }]);
  });

  it('emits nothing after stop() resolves, even with probes in flight', async () => {
    const silent = await startFakeRtsp({ kind: 'silent' });
    cameras.push(silent);
    const h = harness(() => T);
    const { driver: d } = start(h, [{ id: 'cam-hung', host: '127.0.0.1', port: silent.port }], { intervalMs: 5000, timeoutMs: 5000 });
    await d.start();
    await until(() => silent.requests.length === 1, 'the probe in flight');
    await d.stop();
    await sleep(50);
    expect(h.readings).toEqual([]);
    expect(d.stats().probes).toBe(0);
  });
});
