import type { Reading } from '@ioc/protocol';
import type { Outbox, OutboxStats } from './outbox.js';

/**
 * An outbox in memory, bounded by a number of readings. It does not survive a restart; the durable
 * disk outbox takes its place on a real gateway.
 *
 * Positions are absolute (reading number since creation), so readings dropped for space while a
 * batch is in flight never make commit() remove readings that were not sent.
 */
export class MemoryOutbox implements Outbox {
  #queue: Reading[] = [];
  /** Absolute position of #queue[0]. */
  #base = 0;
  /** Absolute position of the oldest pending reading. */
  #head = 0;
  /** Absolute position where the last peek started. */
  #peekStart = 0;
  #dropped = 0;
  #waiters: (() => void)[] = [];
  readonly #maxReadings: number;

  constructor(opts: { maxReadings: number }) {
    if (!(opts.maxReadings >= 1)) throw new RangeError('maxReadings must be at least 1');
    this.#maxReadings = opts.maxReadings;
  }

  get #size(): number {
    return this.#base + this.#queue.length - this.#head;
  }

  append(readings: readonly Reading[]): void {
    for (const r of readings) this.#queue.push(r);
    const over = this.#size - this.#maxReadings;
    if (over > 0) {
      this.#head += over;
      this.#dropped += over;
    }
    this.#compact();
    if (this.#size > 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  peek(max: number): Reading[] {
    this.#peekStart = this.#head;
    const from = this.#head - this.#base;
    return this.#queue.slice(from, from + max);
  }

  commit(count: number): void {
    const end = this.#peekStart + count;
    if (end > this.#head) this.#head = Math.min(end, this.#base + this.#queue.length);
    this.#compact();
  }

  stats(): OutboxStats {
    return { pending: this.#size, dropped: this.#dropped };
  }

  whenPending(): Promise<void> {
    if (this.#size > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #compact(): void {
    const consumed = this.#head - this.#base;
    if (consumed > 4096 && consumed * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(consumed);
      this.#base = this.#head;
    }
  }
}
