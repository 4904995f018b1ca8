import { describe, expect, it } from 'vitest';
import type { Reading } from '@ioc/protocol';
import type { Outbox } from './outbox.js';

const reading = (i: number): Reading => ({ sensor: 'pm-01', metric: 'pm25', ts: 1_764_064_800_000 + i * 1000, value: i, quality: 'good' });
const values = (rs: Reading[]): number[] => rs.map((r) => r.value);

/**
 * The behaviour every outbox owes the uplink, run against each implementation
 * (MQTT.js' abstract_store pattern). `make(maxReadings)` returns a fresh, empty outbox.
 */
export function outboxContract(name: string, make: (maxReadings: number) => Outbox): void {
  describe(`Outbox contract: ${name}`, () => {
    it('returns readings in the order they entered, and peek does not remove them', () => {
      const box = make(100);
      box.append([reading(1), reading(2)]);
      box.append([reading(3)]);
      expect(values(box.peek(10))).toEqual([1, 2, 3]);
      expect(values(box.peek(2))).toEqual([1, 2]);
      expect(box.stats()).toEqual({ pending: 3, dropped: 0 });
    });

    it('commit removes exactly the committed readings of the last peek', () => {
      const box = make(100);
      box.append([1, 2, 3, 4, 5].map(reading));
      box.peek(2);
      box.commit(2);
      expect(values(box.peek(10))).toEqual([3, 4, 5]);
      box.commit(0);
      expect(box.stats().pending).toBe(3);
    });

    it('when full, drops the oldest and counts them', () => {
      const box = make(3);
      box.append([1, 2, 3, 4, 5].map(reading));
      expect(values(box.peek(10))).toEqual([3, 4, 5]);
      expect(box.stats()).toEqual({ pending: 3, dropped: 2 });
    });

    it('readings dropped while a batch is in flight never make commit remove unsent ones', () => {
      const box = make(4);
      box.append([1, 2, 3, 4].map(reading));
      const inFlight = box.peek(2); // 1, 2 sent; PUBACK pending
      box.append([5, 6, 7].map(reading)); // drops 1, 2, 3
      box.commit(inFlight.length);
      expect(values(box.peek(10))).toEqual([4, 5, 6, 7]);
      expect(box.stats().dropped).toBe(3);
    });

    it('whenPending resolves at once with readings, and on the next append otherwise', async () => {
      const box = make(10);
      let woke = false;
      const waiting = box.whenPending().then(() => { woke = true; });
      await Promise.resolve();
      expect(woke).toBe(false);
      box.append([reading(1)]);
      await waiting;
      expect(woke).toBe(true);
      await box.whenPending();
    });

    it('keeps order over many appends and commits', () => {
      const box = make(1_000_000);
      let next = 0;
      let expected = 0;
      for (let round = 0; round < 200; round++) {
        box.append(Array.from({ length: 97 }, () => reading(next++)));
        const batch = box.peek(50);
        expect(batch[0]?.value).toBe(expected);
        box.commit(batch.length);
        expected += batch.length;
      }
      expect(box.stats().pending).toBe(next - expected);
    });
  });
}
