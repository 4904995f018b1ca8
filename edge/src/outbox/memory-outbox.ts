import type { Reading } from '@ioc/protocol';
import { checkLimits, readingBytes, type Outbox, type OutboxLimits, type OutboxSlice, type OutboxStats } from './outbox.js';

/**
 * An outbox in memory, bounded by readings and bytes. It does not survive a restart: the durable SqliteOutbox takes
 * its place on a gateway (this one serves an agent without a data dir, tests and the benchmark's peer).
 *
 * Slot i holds position base + i; a removed or dropped reading leaves an empty slot, and the consumed prefix is cut
 * off once it is large.
 */
export class MemoryOutbox implements Outbox {
  #slots: (Reading | undefined)[] = [];
  /** Position of #slots[0]. */
  #base = 0;
  /** No reading below this position is pending. */
  #head = 0;
  #pending = 0;
  #bytes = 0;
  #dropped = 0;
  #seq = 0;
  #waiters: { after: number; wake: () => void }[] = [];
  readonly #limits: OutboxLimits;

  constructor(limits: Partial<OutboxLimits> = {}) {
    this.#limits = checkLimits({ maxReadings: limits.maxReadings ?? 1_000_000, maxBytes: limits.maxBytes ?? Number.MAX_SAFE_INTEGER });
  }

  append(readings: readonly Reading[]): void {
    for (const r of readings) {
      this.#slots.push(r);
      this.#pending += 1;
      this.#bytes += readingBytes(r);
    }
    while (this.#pending > this.#limits.maxReadings || this.#bytes > this.#limits.maxBytes) this.#dropOldest();
    this.#compact();
    const end = this.end();
    this.#waiters = this.#waiters.filter((w) => (end > w.after ? (w.wake(), false) : true));
  }

  read(from: number, max: number, before = this.end()): OutboxSlice {
    const stop = Math.min(before, this.end());
    const readings: Reading[] = [];
    let first = -1;
    let pos = Math.max(from, this.#head);
    for (; pos < stop && readings.length < max; pos += 1) {
      const r = this.#slots[pos - this.#base];
      if (r === undefined) continue;
      if (first < 0) first = pos;
      readings.push(r);
    }
    const next = readings.length < max ? Math.max(from, stop) : pos;
    return { readings, first: first < 0 ? next : first, next };
  }

  remove(first: number, next: number): void {
    const stop = Math.min(next, this.end());
    for (let pos = Math.max(first, this.#head); pos < stop; pos += 1) {
      const r = this.#slots[pos - this.#base];
      if (r === undefined) continue;
      this.#slots[pos - this.#base] = undefined;
      this.#pending -= 1;
      this.#bytes -= readingBytes(r);
    }
    this.#advanceHead();
    this.#compact();
  }

  end(): number {
    return this.#base + this.#slots.length;
  }

  stats(): OutboxStats {
    return { pending: this.#pending, bytes: this.#bytes, dropped: this.#dropped };
  }

  whenAppended(after: number): Promise<void> {
    if (this.end() > after) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ after, wake }));
  }

  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  close(): void {
    for (const w of this.#waiters.splice(0)) w.wake();
  }

  #dropOldest(): void {
    this.#advanceHead();
    const r = this.#slots[this.#head - this.#base];
    if (r === undefined) return;
    this.#slots[this.#head - this.#base] = undefined;
    this.#pending -= 1;
    this.#bytes -= readingBytes(r);
    this.#dropped += 1;
    this.#head += 1;
  }

  #advanceHead(): void {
    const end = this.end();
    while (this.#head < end && this.#slots[this.#head - this.#base] === undefined) this.#head += 1;
  }

  #compact(): void {
    const consumed = this.#head - this.#base;
    if (consumed > 4096 && consumed * 2 > this.#slots.length) {
      this.#slots = this.#slots.slice(consumed);
      this.#base = this.#head;
    }
  }
}
