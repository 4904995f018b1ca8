import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Quality } from '@ioc/protocol';
import type { AggregateQuery, StoredReading, TelemetryPoint, TelemetryStore } from './telemetry-store.js';
import { StoreErrorCode, type StoreError } from './errors.js';

/**
 * Makes a store over empty storage (a fresh database, say) each time it is called; the contract calls init()
 * itself and close() after each case. Stores must keep points at least a day old (retention).
 */
export type TelemetryStoreFactory = () => Promise<TelemetryStore>;

/** The behaviour every TelemetryStore must show, run against each implementation (like MQTT.js abstract_store). */
export function telemetryStoreContract(name: string, factory: TelemetryStoreFactory): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let store: TelemetryStore;
    // Recent, so that any retention policy keeps it; whole second, so offsets below are the ms digits.
    const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const reading = (over: Partial<StoredReading> = {}): StoredReading => ({
      site: 'hanoi-01',
      gateway: 'gw-1',
      sensor: 'pms-1',
      metric: 'pm25',
      ts: T0,
      value: 12.5,
      quality: 'good',
      ...over,
    });
    const point = (r: StoredReading): TelemetryPoint => ({
      ts: r.ts,
      site: r.site,
      gateway: r.gateway,
      sensor: r.sensor,
      metric: r.metric,
      value: r.value,
      quality: r.quality,
    });
    const all = (over: { from?: number; to?: number; limit?: number } = {}) =>
      store.query({ from: T0 - 60_000, to: T0 + 60_000, limit: 100_000, ...over });

    beforeEach(async () => {
      store = await factory();
      await store.init();
    });
    afterEach(async () => {
      await store.close();
    });

    it('returns what was written: exact values, millisecond timestamps, ascending by ts', async () => {
      const written = [
        reading({ ts: T0 + 999, value: 21.5 }),
        reading({ ts: T0 + 1, value: 20 }),
        reading({ ts: T0 + 2, value: -0.1 }),
        reading({ ts: T0 + 3, value: 1e-300 }),
        reading({ ts: T0 + 4, value: 0.1 + 0.2 }),
      ];
      await store.write(written);
      expect(await all()).toEqual([...written].sort((a, b) => a.ts - b.ts).map(point));
    });

    it('keeps integer-valued and fractional values of one series in the same number field', async () => {
      await store.write([reading({ ts: T0, value: 20 })]);
      await store.write([reading({ ts: T0 + 1, value: 20.25 })]);
      expect((await all()).map((p) => p.value)).toEqual([20, 20.25]);
    });

    it('round-trips every quality', async () => {
      const qualities: Quality[] = ['good', 'uncertain', 'bad'];
      await store.write(qualities.map((quality, i) => reading({ ts: T0 + i, quality })));
      expect((await all()).map((p) => p.quality)).toEqual(qualities);
    });

    it('filters by site, gateway, sensor and metric', async () => {
      const written: StoredReading[] = [];
      for (const site of ['hanoi-01', 'hue-02'])
        for (const gateway of ['gw-1', 'gw-2'])
          for (const sensor of ['pms-1', 'sds-1'])
            for (const metric of ['pm25', 'pm10']) written.push(reading({ site, gateway, sensor, metric, ts: T0 + written.length }));
      await store.write(written);
      const window = { from: T0, to: T0 + 1000 };
      const expectOnly = async (filter: Partial<Record<'site' | 'gateway' | 'sensor' | 'metric', string>>) => {
        const expected = written.filter((r) => Object.entries(filter).every(([k, v]) => r[k as keyof typeof filter] === v));
        expect(await store.query({ ...window, ...filter })).toEqual(expected.map(point));
      };
      await expectOnly({ site: 'hue-02' });
      await expectOnly({ gateway: 'gw-2' });
      await expectOnly({ sensor: 'sds-1' });
      await expectOnly({ metric: 'pm10' });
      await expectOnly({ site: 'hanoi-01', gateway: 'gw-2', sensor: 'pms-1', metric: 'pm10' });
      expect(await store.query({ ...window, sensor: 'nobody' })).toEqual([]);
    });

    it('queries the window [from, to): from included, to excluded', async () => {
      await store.write([T0 - 1, T0, T0 + 500, T0 + 999, T0 + 1000].map((ts) => reading({ ts, value: ts - T0 })));
      const got = await store.query({ from: T0, to: T0 + 1000 });
      expect(got.map((p) => p.ts - T0)).toEqual([0, 500, 999]);
      expect(await store.query({ from: T0, to: T0 })).toEqual([]);
    });

    it('returns the earliest `limit` points', async () => {
      await store.write([4, 0, 3, 1, 2].map((i) => reading({ ts: T0 + i, value: i })));
      expect((await all({ limit: 2 })).map((p) => p.value)).toEqual([0, 1]);
    });

    it('stores the same (site, gateway, sensor, metric, ts) once: the last write wins', async () => {
      await store.write([reading({ value: 1, quality: 'good' })]);
      await store.write([reading({ value: 2, quality: 'bad' })]);
      expect(await all()).toEqual([point(reading({ value: 2, quality: 'bad' }))]);
      // A redelivered batch, and a duplicate inside one batch, change nothing more.
      await store.write([reading({ value: 3 }), reading({ value: 4, quality: 'uncertain' })]);
      await store.write([reading({ value: 3 }), reading({ value: 4, quality: 'uncertain' })]);
      expect(await all()).toEqual([point(reading({ value: 4, quality: 'uncertain' }))]);
    });

    it('tells apart points that differ only in one id', async () => {
      const written = [reading(), reading({ site: 'hue-02' }), reading({ gateway: 'gw-2' }), reading({ sensor: 'pms-2' }), reading({ metric: 'pm10' })];
      await store.write(written);
      expect(await all()).toHaveLength(written.length);
    });

    it('writes 10,000 readings in one call', async () => {
      const written = Array.from({ length: 10_000 }, (_, i) =>
        reading({ sensor: `s-${i % 10}`, ts: T0 + Math.floor(i / 10), value: i / 4, quality: i % 7 === 0 ? 'bad' : 'good' }),
      );
      await store.write(written);
      const got = await all({ limit: 20_000 });
      expect(got).toHaveLength(10_000);
      const byKey = new Map(got.map((p) => [`${p.sensor}@${p.ts}`, p]));
      for (const r of written) expect(byKey.get(`${r.sensor}@${r.ts}`)).toEqual(point(r));
    });

    it('returns at most 10,000 points by default', async () => {
      await store.write(Array.from({ length: 10_001 }, (_, i) => reading({ ts: T0 + i, value: i })));
      const got = await store.query({ from: T0, to: T0 + 20_000 });
      expect(got).toHaveLength(10_000);
      expect(got.at(-1)?.value).toBe(9_999);
    });

    it('round-trips ids containing quotes, spaces, commas, equals signs and non-ASCII', async () => {
      const odd = reading({ sensor: `o'brien, "room"=2 ✓`, site: 'site with spaces', value: 7 });
      await store.write([odd, reading({ value: 8 })]);
      expect(await store.query({ from: T0, to: T0 + 1, sensor: odd.sensor })).toEqual([point(odd)]);
      expect(await store.query({ from: T0, to: T0 + 1, site: odd.site })).toEqual([point(odd)]);
    });

    it('treats filter values as data, never as query syntax', async () => {
      await store.write([reading({ sensor: 'x' }), reading({ sensor: 'y' })]);
      const attempts = [
        `x' OR 1=1 --`,
        `x' OR sensor='y`,
        `x'; DROP MEASUREMENT telemetry; --`,
        `x\\' OR ''='`,
        `x" OR "sensor"='y`,
        'x\nOR 1=1',
        'x\r\nOR 1=1',
      ];
      for (const sensor of attempts) {
        expect(await store.query({ from: T0 - 1000, to: T0 + 1000, sensor }), sensor).toEqual([]);
      }
      expect((await all()).map((p) => p.sensor)).toEqual(['x', 'y']);
    });

    it('rejects a batch holding a non-finite value before sending any of it', async () => {
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const err = await store.write([reading({ ts: T0 }), reading({ ts: T0 + 1, value })]).then(
          () => undefined,
          (e: unknown) => e as StoreError,
        );
        expect(err?.code, String(value)).toBe(StoreErrorCode.BAD_DATA);
        expect(err?.retryable).toBe(false);
        expect(err?.rejected).toEqual([{ index: 1, reason: expect.stringContaining('value') as unknown }]);
      }
      expect(await all()).toEqual([]);
    });

    it('rejects readings that cannot be stored faithfully, naming the field', async () => {
      const bad: [Partial<StoredReading>, string][] = [
        [{ ts: T0 + 0.5 }, 'ts'],
        [{ sensor: '' }, 'sensor'],
        [{ quality: 'fine' as Quality }, 'quality'],
        [{ metric: 'pm25\nx' }, 'metric'],
      ];
      for (const [over, field] of bad) {
        await expect(store.write([reading(over)]), field).rejects.toMatchObject({
          code: StoreErrorCode.BAD_DATA,
          retryable: false,
          message: expect.stringContaining(`readings[0].${field}`) as unknown,
        });
      }
      expect(await all()).toEqual([]);
    });

    it('accepts an empty write, and init() again', async () => {
      await store.write([]);
      await store.init();
      await store.write([reading()]);
      expect(await all()).toEqual([point(reading())]);
    });

    describe('aggregates from rollups', () => {
      // Whole hours, old enough that nothing else writes there, recent enough for every retention.
      const H = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
      const M = 60_000;
      const series = { site: 'hanoi-01', gateway: 'gw-1', sensor: 'pms-1', metric: 'pm25' };
      const written = [
        reading({ ts: H, value: 10 }),
        reading({ ts: H + 10_000, value: 20, quality: 'uncertain' }),
        reading({ ts: H + 20_000, value: 9_999, quality: 'bad' }), // left out of every rollup
        reading({ ts: H + M, value: 40 }),
        reading({ ts: H + 3_600_000 + 5 * M, value: 7 }),
        reading({ ts: H + 3_600_000 + 5 * M + 1, value: 8 }),
        reading({ ts: H, metric: 'pm10', value: 100 }),
      ];
      const window = { from: H, to: H + 2 * 3_600_000 };
      const agg = (over: Partial<AggregateQuery>) => store.aggregate({ ...window, every: '1m', fn: 'mean', ...series, ...over });

      beforeEach(async () => {
        await store.write(written);
        await store.refreshRollups(window.from, window.to);
      });

      it('1m: mean, min, max and count per minute, bad readings left out', async () => {
        expect(await agg({ fn: 'mean' })).toEqual([
          { ts: H, ...series, value: 15, count: 2 },
          { ts: H + M, ...series, value: 40, count: 1 },
          { ts: H + 3_600_000 + 5 * M, ...series, value: 7.5, count: 2 },
        ]);
        expect((await agg({ fn: 'min' })).map((p) => p.value)).toEqual([10, 40, 7]);
        expect((await agg({ fn: 'max' })).map((p) => p.value)).toEqual([20, 40, 8]);
      });

      it('1h: per hour, from the hourly rollup', async () => {
        expect(await agg({ every: '1h', fn: 'mean' })).toEqual([
          { ts: H, ...series, value: 70 / 3, count: 3 },
          { ts: H + 3_600_000, ...series, value: 7.5, count: 2 },
        ]);
        expect((await agg({ every: '1h', fn: 'max' })).map((p) => p.value)).toEqual([40, 8]);
      });

      it('1d: per UTC day from the hourly rollup, means weighted by count', async () => {
        const good = written.filter((r) => r.metric === 'pm25' && r.quality !== 'bad');
        const days = new Map<number, number[]>();
        for (const r of good) {
          const day = Math.floor(r.ts / 86_400_000) * 86_400_000;
          days.set(day, [...(days.get(day) ?? []), r.value]);
        }
        const expected = [...days].map(([ts, values]) => ({
          ts,
          ...series,
          value: values.reduce((a, b) => a + b, 0) / values.length,
          count: values.length,
        }));
        const got = await agg({ every: '1d', fn: 'mean' });
        expect(got.map((p) => ({ ...p, value: Math.round(p.value * 1e9) / 1e9 }))).toEqual(
          expected.map((p) => ({ ...p, value: Math.round(p.value * 1e9) / 1e9 })),
        );
        expect((await agg({ every: '1d', fn: 'min' })).map((p) => p.value)).toEqual(
          [...days.values()].map((values) => Math.min(...values)),
        );
      });

      it('orders by bucket then series, filters, and cuts at limit', async () => {
        const both = await store.aggregate({ ...window, every: '1m', fn: 'max', sensor: 'pms-1' });
        expect(both.slice(0, 2).map((p) => [p.ts - H, p.metric, p.value])).toEqual([
          [0, 'pm10', 100],
          [0, 'pm25', 20],
        ]);
        expect(await agg({ limit: 1 })).toHaveLength(1);
        expect(await agg({ every: '1d', limit: 1 })).toHaveLength(1);
        expect(await agg({ sensor: 'nobody' })).toEqual([]);
        expect(await agg({ from: H + M, to: H + 2 * M })).toEqual([{ ts: H + M, ...series, value: 40, count: 1 }]);
      });

      it('recomputes a bucket when readings change, idempotently', async () => {
        await store.write([reading({ ts: H + M, value: 50 })]);
        await store.refreshRollups(H + M, H + 2 * M);
        await store.refreshRollups(H + M, H + 2 * M);
        expect((await agg({ from: H + M, to: H + 2 * M })).map((p) => [p.value, p.count])).toEqual([[50, 1]]);
      });
    });

    it('returns the latest reading of each series, with its quality, filtered', async () => {
      await store.write([
        reading({ ts: T0, value: 1 }),
        reading({ ts: T0 + 2, value: 3, quality: 'bad' }),
        reading({ ts: T0 + 1, value: 2 }),
        reading({ ts: T0 + 5, metric: 'pm10', value: 9 }),
        reading({ ts: T0 + 7, gateway: 'gw-2', value: 4 }),
      ]);
      expect(await store.latest({ gateway: 'gw-1' })).toEqual([
        point(reading({ ts: T0 + 5, metric: 'pm10', value: 9 })),
        point(reading({ ts: T0 + 2, value: 3, quality: 'bad' })),
      ]);
      expect(await store.latest({})).toHaveLength(3);
      expect(await store.latest({ site: 'hanoi-01', gateway: 'gw-2' })).toEqual([point(reading({ ts: T0 + 7, gateway: 'gw-2', value: 4 }))]);
      expect(await store.latest({ site: `x' OR 1=1 --` })).toEqual([]);
    });

    it('answers ping with ok and a latency', async () => {
      const pong = await store.ping();
      expect(pong.ok).toBe(true);
      expect(pong.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('refuses calls after close() with CLOSED', async () => {
      await store.close();
      await expect(store.write([reading()])).rejects.toMatchObject({ code: StoreErrorCode.CLOSED, retryable: false });
      await expect(all()).rejects.toMatchObject({ code: StoreErrorCode.CLOSED });
    });
  });
}
