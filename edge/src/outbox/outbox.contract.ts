import { describe, expect, it } from 'vitest';
import type { Reading } from '@ioc/protocol';
import { readingBytes, type Outbox, type OutboxLimits } from './outbox.js';

export const reading = (i: number): Reading => ({ sensor: 'pm-01', metric: 'pm25', ts: 1_764_064_800_000 + i * 1000, value: i, quality: 'good' });
const values = (rs: Reading[]): number[] => rs.map((r) => r.value);

/**
 * The behaviour every outbox owes the uplink, run against each implementation (MQTT.js' abstract_store pattern).
 * `make(limits)` returns a fresh, empty outbox; the suite closes each one it made.
 */
export function outboxContract(name: string, make: (limits: Partial<OutboxLimits>) => Outbox): void {
  describe(`Outbox contract: ${name}`, () => {
    const use = (limits: Partial<OutboxLimits> = {}): Outbox => make({ maxReadings: 1_000_000, maxBytes: 1 << 30, ...limits });

    it('returns readings in the order they entered, with every field, and read does not remove them', () => {
      const box = use();
      box.append([reading(1), reading(2)]);
      box.append([{ sensor: 'th-01', metric: 'temperature', ts: 1_764_064_800_123, value: -3.25, quality: 'bad' }]);
      expect(box.read(0, 10).readings).toEqual([reading(1), reading(2), { sensor: 'th-01', metric: 'temperature', ts: 1_764_064_800_123, value: -3.25, quality: 'bad' }]);
      expect(values(box.read(0, 2).readings)).toEqual([1, 2]);
      expect(box.stats()).toEqual({ pending: 3, dropped: 0, bytes: readingBytes(reading(1)) * 2 + readingBytes({ sensor: 'th-01', metric: 'temperature' }) });
      box.close();
    });

    it('gives consecutive positions, and a slice says where to continue', () => {
      const box = use();
      expect(box.end()).toBe(0);
      box.append([1, 2, 3, 4, 5].map(reading));
      expect(box.end()).toBe(5);
      const a = box.read(0, 2);
      expect([a.first, a.next, values(a.readings)]).toEqual([0, 2, [1, 2]]);
      const b = box.read(a.next, 10);
      expect([b.first, b.next, values(b.readings)]).toEqual([2, 5, [3, 4, 5]]);
      const c = box.read(b.next, 10);
      expect([c.readings.length, c.next]).toEqual([0, 5]);
      box.close();
    });

    it('reads only below `before`', () => {
      const box = use();
      box.append([1, 2, 3, 4, 5].map(reading));
      const s = box.read(1, 10, 3);
      expect([s.first, s.next, values(s.readings)]).toEqual([1, 3, [2, 3]]);
      box.close();
    });

    it('remove takes exactly the range acknowledged, wherever it lies', () => {
      const box = use();
      box.append([1, 2, 3, 4, 5, 6].map(reading));
      box.remove(4, 6); // a live batch acknowledged before the backlog
      box.remove(0, 2);
      expect(values(box.read(0, 10).readings)).toEqual([3, 4]);
      expect(box.stats()).toMatchObject({ pending: 2, bytes: 2 * readingBytes(reading(0)) });
      box.remove(2, 3);
      box.remove(2, 3);
      expect(values(box.read(0, 10).readings)).toEqual([4]);
      expect(box.stats().pending).toBe(1);
      box.close();
    });

    it('when more readings than maxReadings, drops the oldest and counts them', () => {
      const box = use({ maxReadings: 3 });
      box.append([1, 2, 3, 4, 5].map(reading));
      expect(values(box.read(0, 10).readings)).toEqual([3, 4, 5]);
      expect(box.stats()).toMatchObject({ pending: 3, dropped: 2 });
      box.close();
    });

    it('when more bytes than maxBytes, drops the oldest and counts them', () => {
      const each = readingBytes(reading(0));
      const box = use({ maxBytes: each * 4 + Math.floor(each / 2) });
      box.append([1, 2, 3].map(reading));
      box.append([4, 5, 6].map(reading));
      expect(values(box.read(0, 10).readings)).toEqual([3, 4, 5, 6]);
      expect(box.stats()).toEqual({ pending: 4, dropped: 2, bytes: each * 4 });
      box.close();
    });

    it('readings dropped while a batch is in flight never make remove take unsent ones', () => {
      const box = use({ maxReadings: 4 });
      box.append([1, 2, 3, 4].map(reading));
      const inFlight = box.read(0, 2); // 1, 2 sent; PUBACK pending
      box.append([5, 6, 7].map(reading)); // drops 1, 2, 3
      box.remove(inFlight.first, inFlight.next);
      expect(values(box.read(0, 10).readings)).toEqual([4, 5, 6, 7]);
      expect(box.stats()).toMatchObject({ pending: 4, dropped: 3 });
      box.close();
    });

    it('skips removed readings when reading on', () => {
      const box = use();
      box.append([1, 2, 3, 4, 5, 6].map(reading));
      box.remove(1, 3);
      const s = box.read(0, 2);
      expect([values(s.readings), s.first, s.next]).toEqual([[1, 4], 0, 4]);
      box.close();
    });

    it('whenAppended resolves at once past the end, and on the append that passes it otherwise', async () => {
      const box = use();
      box.append([reading(1)]);
      await box.whenAppended(0);
      let woke = false;
      const waiting = box.whenAppended(1).then(() => {
        woke = true;
      });
      await Promise.resolve();
      expect(woke).toBe(false);
      box.append([reading(2)]);
      await waiting;
      expect(woke).toBe(true);
      box.close();
    });

    it('close wakes every waiter', async () => {
      const box = use();
      const waiting = box.whenAppended(10);
      box.close();
      await waiting;
    });

    it('numbers messages 1, 2, 3', () => {
      const box = use();
      expect([box.nextSeq(), box.nextSeq(), box.nextSeq()]).toEqual([1, 2, 3]);
      box.close();
    });

    it('keeps order over many appends and removals', () => {
      const box = use();
      let next = 0;
      let expected = 0;
      let cursor = 0;
      for (let round = 0; round < 200; round++) {
        box.append(Array.from({ length: 97 }, () => reading(next++)));
        const batch = box.read(cursor, 50);
        expect(batch.readings[0]?.value).toBe(expected);
        box.remove(batch.first, batch.next);
        cursor = batch.next;
        expected += batch.readings.length;
      }
      expect(box.stats().pending).toBe(next - expected);
      box.close();
    });
  });
}
