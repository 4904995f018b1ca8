// The pool's bounds, without the network: probes are promises the test settles by hand.
import { describe, expect, it } from 'vitest';
import type { CameraProbeTarget } from './config.js';
import { ProbePool } from './probe-pool.js';
import type { ProbeOutcome } from './probes.js';

interface Pending {
  index: number;
  signal: AbortSignal;
  settle(outcome: ProbeOutcome): void;
}

function fixture(cameras: number, concurrency: number) {
  const targets: CameraProbeTarget[] = Array.from({ length: cameras }, (_, i) => ({ kind: 'tcp', host: `10.0.0.${i}`, port: 554 }));
  const pending: Pending[] = [];
  const results: [number, ProbeOutcome, number][] = [];
  let maxInFlight = 0;
  let clock = 0;
  const pool = new ProbePool({
    targets,
    concurrency,
    timeoutMs: 1000,
    now: () => clock,
    probe: (target, _timeoutMs, signal) =>
      new Promise<ProbeOutcome>((resolve) => {
        const index = targets.indexOf(target);
        const onAbort = (): void => resolve('aborted');
        const settle = (outcome: ProbeOutcome): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        };
        pending.push({ index, signal, settle });
        signal.addEventListener('abort', onAbort);
        maxInFlight = Math.max(maxInFlight, pending.length);
      }).finally(() => pending.splice(pending.findIndex((p) => p.index === targets.indexOf(target)), 1)),
    onResult: (index, outcome, startedAt) => results.push([index, outcome, startedAt]),
  });
  return {
    pool,
    pending,
    results,
    maxInFlight: () => maxInFlight,
    tick: (ms: number) => (clock += ms),
  };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ProbePool', () => {
  it('keeps at most `concurrency` probes in flight and probes every camera once per round', async () => {
    const f = fixture(200, 8);
    const round = f.pool.round();
    for (let settled = 0; settled < 200; settled += 1) {
      await flush();
      expect(f.pending.length).toBeLessThanOrEqual(8);
      f.pending[0]?.settle(settled % 3 === 0 ? 'timeout' : 'ok');
    }
    await round;
    expect(f.maxInFlight()).toBe(8);
    expect(new Set(f.results.map(([index]) => index)).size).toBe(200);
    expect(f.pool.stats()).toMatchObject({ probes: 200, probeTimeouts: 67, probesSkipped: 0 });
  });

  it('skips a camera whose previous probe has not ended, and counts it', async () => {
    const f = fixture(3, 2);
    void f.pool.round();
    await flush();
    f.pending.find((p) => p.index === 0)?.settle('ok');
    await flush();
    f.tick(1000);
    void f.pool.round(); // cameras 1 and 2 are still queued or in flight
    await flush();
    expect(f.pool.stats().probesSkipped).toBe(2);
    while (f.pending.length > 0) {
      f.pending[0]?.settle('refused');
      await flush();
    }
    expect(f.results.map(([index, , at]) => [index, at])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1000],
    ]);
  });

  it('counts a probe that throws as an error', async () => {
    const pool = new ProbePool({
      targets: [{ kind: 'http', url: 'http://x/' }],
      concurrency: 1,
      timeoutMs: 10,
      now: () => 0,
      probe: () => Promise.reject(new Error('bug')),
      onResult: () => undefined,
    });
    await pool.round();
    expect(pool.stats()).toMatchObject({ probes: 1, probeErrors: 1 });
  });

  it('aborts probes in flight on stop, reports nothing after, and ends the round', async () => {
    const f = fixture(10, 4);
    const round = f.pool.round();
    await flush();
    const signals = f.pending.map((p) => p.signal);
    await f.pool.stop();
    await round;
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(f.results).toEqual([]);
    await f.pool.round();
    expect(f.results).toEqual([]);
  });
});
