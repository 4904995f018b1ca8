import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterInput, DeadLetterStore } from './dead-letter-store.js';

/** Options every implementation's factory must honour, so the contract can test the bounds. */
export interface DeadLetterFactoryOptions {
  maxPayloadBytes: number;
  maxCount: number;
  maxAgeMs: number;
  pruneEvery: number;
  now: () => number;
}

/** Makes a store over empty storage each call; the contract closes it after each case. */
export type DeadLetterStoreFactory = (opts: DeadLetterFactoryOptions) => Promise<DeadLetterStore>;

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/** The behaviour every DeadLetterStore must show. */
export function deadLetterStoreContract(name: string, factory: DeadLetterStoreFactory): void {
  describe(`DeadLetterStore contract: ${name}`, () => {
    let store: DeadLetterStore;
    let clock = T0;
    const open = (over: Partial<DeadLetterFactoryOptions> = {}) =>
      factory({ maxPayloadBytes: 64, maxCount: 1_000, maxAgeMs: 7 * DAY, pruneEvery: 1, now: () => clock, ...over });
    const letter = (over: Partial<DeadLetterInput> = {}): DeadLetterInput => ({
      topic: 'ioc/v1/ha-nam/gw-1/telemetry',
      site: 'ha-nam',
      gateway: 'gw-1',
      payload: Buffer.from('{"seq":1'),
      code: 'IOC_ERR_PAYLOAD_JSON',
      path: '',
      message: 'payload: not valid JSON',
      at: clock,
      ...over,
    });

    beforeEach(async () => {
      clock = T0;
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps every field, and the payload byte for byte', async () => {
      const payload = Buffer.from([0xff, 0x00, 0x7b, 0xc3, 0x28]); // not UTF-8
      await store.add(letter({ payload, code: 'IOC_ERR_PAYLOAD_ENCODING', path: '', message: 'not valid UTF-8' }));
      const page = await store.list();
      expect(page).toMatchObject({ total: 1, next: null });
      expect(page.letters).toEqual([
        {
          id: expect.any(Number) as unknown,
          at: T0,
          topic: 'ioc/v1/ha-nam/gw-1/telemetry',
          site: 'ha-nam',
          gateway: 'gw-1',
          code: 'IOC_ERR_PAYLOAD_ENCODING',
          path: '',
          message: 'not valid UTF-8',
          payload,
          payloadBytes: 5,
        },
      ]);
    });

    it('cuts the payload at the cap and keeps its original size', async () => {
      await store.add(letter({ payload: Buffer.alloc(1000, 0x61), code: 'IOC_ERR_PAYLOAD_TOO_LARGE' }));
      const [got] = (await store.list()).letters;
      expect(got?.payload).toEqual(Buffer.alloc(64, 0x61));
      expect(got?.payloadBytes).toBe(1000);
    });

    it('keeps a letter whose topic did not parse, without site and gateway', async () => {
      await store.add(letter({ topic: 'ioc/v1/Hà Nam/gw/telemetry', site: undefined, gateway: undefined, code: 'IOC_ERR_TOPIC', path: 'site' }));
      expect((await store.list()).letters[0]).toMatchObject({ topic: 'ioc/v1/Hà Nam/gw/telemetry', site: null, gateway: null, path: 'site' });
    });

    it('lists newest first, filters by code, site, gateway and time, and counts', async () => {
      const codes = ['IOC_ERR_PAYLOAD_JSON', 'IOC_ERR_PAYLOAD_SCHEMA', 'IOC_ERR_UNKNOWN_METRIC'];
      for (let i = 0; i < 9; i++) {
        await store.add(letter({ at: T0 + i * 1000, code: codes[i % 3], gateway: `gw-${i % 2}`, message: `#${i}` }));
      }
      expect((await store.list()).letters.map((l) => l.message)).toEqual(['#8', '#7', '#6', '#5', '#4', '#3', '#2', '#1', '#0']);
      expect((await store.list({ code: 'IOC_ERR_PAYLOAD_SCHEMA' })).letters.map((l) => l.message)).toEqual(['#7', '#4', '#1']);
      expect((await store.list({ gateway: 'gw-1', site: 'ha-nam' })).letters.map((l) => l.message)).toEqual(['#7', '#5', '#3', '#1']);
      expect((await store.list({ site: 'elsewhere' })).total).toBe(0);
      expect((await store.list({ from: T0 + 2000, to: T0 + 5000 })).letters.map((l) => l.message)).toEqual(['#4', '#3', '#2']);
      expect(await store.count()).toBe(9);
      expect(await store.count({ code: 'IOC_ERR_UNKNOWN_METRIC', gateway: 'gw-0' })).toBe(2);
    });

    it('pages with a cursor, the total staying that of the filter', async () => {
      for (let i = 0; i < 5; i++) await store.add(letter({ message: `#${i}` }));
      const first = await store.list({ limit: 2 });
      expect(first.letters.map((l) => l.message)).toEqual(['#4', '#3']);
      expect(first.total).toBe(5);
      const second = await store.list({ limit: 2, before: first.next ?? 0 });
      expect(second.letters.map((l) => l.message)).toEqual(['#2', '#1']);
      const third = await store.list({ limit: 2, before: second.next ?? 0 });
      expect(third).toMatchObject({ total: 5, next: null });
      expect(third.letters.map((l) => l.message)).toEqual(['#0']);
    });

    it('keeps the newest maxCount letters and counts the pruned', async () => {
      await store.close();
      store = await open({ maxCount: 3 });
      for (let i = 0; i < 5; i++) await store.add(letter({ message: `#${i}` }));
      expect((await store.list()).letters.map((l) => l.message)).toEqual(['#4', '#3', '#2']);
      expect(await store.stats()).toMatchObject({ stored: 3, pruned: 2 });
    });

    it('deletes letters older than maxAgeMs and counts them', async () => {
      await store.add(letter({ message: 'old', at: T0 }));
      clock = T0 + 8 * DAY;
      await store.add(letter({ message: 'new', at: clock }));
      expect((await store.list()).letters.map((l) => l.message)).toEqual(['new']);
      expect(await store.stats()).toEqual({ stored: 1, byCode: { IOC_ERR_PAYLOAD_JSON: 1 }, pruned: 1, oldest: clock, newest: clock });
    });

    it('reports counts by code', async () => {
      await store.add(letter({ code: 'IOC_ERR_TOPIC' }));
      await store.add(letter({ code: 'IOC_ERR_TOPIC' }));
      await store.add(letter({ code: 'IOC_ERR_STORE_BAD_DATA' }));
      expect((await store.stats()).byCode).toEqual({ IOC_ERR_STORE_BAD_DATA: 1, IOC_ERR_TOPIC: 2 });
    });

    it('refuses calls after close()', async () => {
      await store.close();
      await expect(store.add(letter())).rejects.toMatchObject({ code: expect.stringMatching(/^IOC_ERR_/) as unknown });
      await store.close();
    });
  });
}
