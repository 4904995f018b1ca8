import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { StoredReading, TelemetryStore } from '../store/telemetry-store.js';
import { storeError, StoreErrorCode, type StoreError } from '../store/errors.js';
import { WriteBatcher, type BatchItem } from './write-batcher.js';

/**
 * The batcher's logic against a stand-in store that answers what InfluxDB answers (the classification of real
 * answers is proved in store/influx; the real pipeline in ingest.test.ts).
 */
type WriteFn = (readings: StoredReading[]) => Promise<void>;

function standInStore(write: WriteFn): TelemetryStore & { calls: StoredReading[][] } {
  const calls: StoredReading[][] = [];
  const unused = () => Promise.reject(new Error('not used'));
  return {
    calls,
    write: (readings) => {
      calls.push(readings);
      return write(readings);
    },
    init: () => Promise.resolve(),
    query: unused,
    aggregate: unused,
    latest: unused,
    refreshRollups: unused,
    ping: () => Promise.resolve({ ok: true, latencyMs: 0 }),
    close: () => Promise.resolve(),
  };
}

const log = pino({ level: 'silent' });
const T = 1_764_064_800_000;

interface Probe extends BatchItem {
  id: number;
  state: 'pending' | 'written' | 'refused';
  refusedWith?: StoreError;
  lost: boolean;
}

function item(id: number, n: number, value = 1): Probe {
  const readings = Array.from({ length: n }, (_, i) => ({
    site: 's', gateway: 'g', sensor: `m${id}`, metric: 'pm25', ts: T + i, value, quality: 'good' as const,
  }));
  const probe: Probe = {
    id,
    readings,
    state: 'pending',
    lost: false,
    stale: () => probe.lost,
    written: () => void (probe.state = 'written'),
    refused: (err) => {
      probe.state = 'refused';
      probe.refusedWith = err;
      return Promise.resolve();
    },
  };
  return probe;
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('WriteBatcher', () => {
  it('writes a batch once it holds maxBatchPoints, whole messages only', async () => {
    const store = standInStore(() => Promise.resolve());
    const b = new WriteBatcher({ store, log, maxBatchPoints: 10, flushIntervalMs: 1000 });
    const items = [item(1, 4), item(2, 4), item(3, 4)];
    items.forEach((i) => b.add(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.calls.map((c) => c.length)).toEqual([8]);
    expect(items.map((i) => i.state)).toEqual(['written', 'written', 'pending']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.calls.map((c) => c.length)).toEqual([8, 4]);
    expect(items[2]?.state).toBe('written');
  });

  it('writes what it holds once the first message has waited flushIntervalMs', async () => {
    const store = standInStore(() => Promise.resolve());
    const b = new WriteBatcher({ store, log, maxBatchPoints: 5000, flushIntervalMs: 1000 });
    const one = item(1, 3);
    b.add(one);
    await vi.advanceTimersByTimeAsync(999);
    expect(store.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.calls).toHaveLength(1);
    expect(one.state).toBe('written');
  });

  it('keeps at most maxConcurrentWrites writes in flight', async () => {
    const pending: ReturnType<typeof deferred>[] = [];
    const store = standInStore(() => {
      const d = deferred();
      pending.push(d);
      return d.promise;
    });
    const b = new WriteBatcher({ store, log, maxBatchPoints: 2, maxConcurrentWrites: 2 });
    for (let i = 0; i < 5; i++) b.add(item(i, 2));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.stats().inFlight).toBe(2);
    pending[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.calls).toHaveLength(3);
    expect(b.stats().inFlight).toBe(2);
  });

  it('retries a retryable failure with backoff, holding the message until it is written', async () => {
    let failures = 2;
    const store = standInStore(() =>
      failures-- > 0 ? Promise.reject(storeError(StoreErrorCode.UNAVAILABLE, 'HTTP 500: engine: error syncing wal', { status: 500 })) : Promise.resolve(),
    );
    const b = new WriteBatcher({ store, log, maxBatchPoints: 1, retry: { initialMs: 100, maxMs: 1000, random: () => 0.5 } });
    const one = item(1, 1);
    b.add(one);
    await vi.advanceTimersByTimeAsync(0);
    expect(one.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(50); // first retry after 0.5 × 100 ms
    expect(store.calls).toHaveLength(2);
    expect(one.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(100); // second after 0.5 × 200 ms
    expect(store.calls).toHaveLength(3);
    expect(one.state).toBe('written');
    expect(b.stats().retries).toBe(2);
  });

  it('isolates the message the store refuses as bad data by splitting, and writes every other', async () => {
    const store = standInStore((readings) =>
      readings.some((r) => r.value === 666)
        ? Promise.reject(storeError(StoreErrorCode.BAD_DATA, 'HTTP 400: partial write: field type conflict', { status: 400 }))
        : Promise.resolve(),
    );
    const b = new WriteBatcher({ store, log, maxBatchPoints: 80 });
    const items = Array.from({ length: 8 }, (_, i) => item(i, 10, i === 5 ? 666 : 1));
    items.forEach((i) => b.add(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(items.map((i) => i.state)).toEqual(['written', 'written', 'written', 'written', 'written', 'refused', 'written', 'written']);
    expect(items[5]?.refusedWith).toMatchObject({ code: StoreErrorCode.BAD_DATA, status: 400 });
    expect(store.calls).toHaveLength(7); // 8 → 4+4 → 2+2 → 1+1: log2(8) levels, two writes each, plus the first
    expect(b.stats()).toMatchObject({ refused: 1, splits: 3 });
  });

  it('splits a batch the store finds too large (413) until it fits', async () => {
    const store = standInStore((readings) =>
      readings.length > 5 ? Promise.reject(storeError(StoreErrorCode.TOO_LARGE, 'HTTP 413', { status: 413 })) : Promise.resolve(),
    );
    const b = new WriteBatcher({ store, log, maxBatchPoints: 12 });
    const items = [item(1, 3), item(2, 3), item(3, 3), item(4, 3), item(5, 7)];
    items.forEach((i) => b.add(i));
    await vi.advanceTimersByTimeAsync(1000);
    expect(items.map((i) => i.state)).toEqual(['written', 'written', 'written', 'written', 'refused']);
    expect(items[4]?.refusedWith?.code).toBe(StoreErrorCode.TOO_LARGE);
  });

  it('stops retrying a batch whose connection was lost (the broker sends it again)', async () => {
    const store = standInStore(() => Promise.reject(storeError(StoreErrorCode.UNAVAILABLE, 'ECONNREFUSED')));
    const b = new WriteBatcher({ store, log, maxBatchPoints: 1, retry: { initialMs: 100, maxMs: 100, random: () => 0.99 } });
    const one = item(1, 1);
    b.add(one);
    await vi.advanceTimersByTimeAsync(500);
    const tries = store.calls.length;
    expect(tries).toBeGreaterThan(2);
    one.lost = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(store.calls.length).toBeLessThanOrEqual(tries + 1);
    expect(b.stats().inFlight).toBe(0);
    expect(one.state).toBe('pending');
  });

  it('drain() flushes without waiting for the interval and waits for the writes', async () => {
    const store = standInStore(() => Promise.resolve());
    const b = new WriteBatcher({ store, log, maxBatchPoints: 5000, flushIntervalMs: 60_000 });
    const items = [item(1, 2), item(2, 2)];
    items.forEach((i) => b.add(i));
    await b.drain();
    expect(items.map((i) => i.state)).toEqual(['written', 'written']);
  });

  it('refuses invalid options', () => {
    const store = standInStore(() => Promise.resolve());
    expect(() => new WriteBatcher({ store, log, maxBatchPoints: 0 })).toThrow(/maxBatchPoints/);
  });
});
