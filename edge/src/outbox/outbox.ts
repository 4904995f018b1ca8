import type { Reading } from '@ioc/protocol';

/**
 * Where every reading waits between its driver and a PUBACK. FIFO: readings leave in the order they
 * entered, and only when `commit` says the broker has them.
 *
 * Contract (checked by outboxContract for every implementation):
 * - append never blocks on the network; when full, the OLDEST readings are dropped and counted.
 * - peek returns the oldest readings without removing them; calling it again returns the same ones.
 * - commit(n) removes exactly the first n readings of the last peek.
 */
export interface Outbox {
  append(readings: readonly Reading[]): void;
  peek(max: number): Reading[];
  commit(count: number): void;
  stats(): OutboxStats;
  /** Resolves once at least one reading is pending (immediately if some already are). */
  whenPending(): Promise<void>;
  close(): void;
}

export interface OutboxStats {
  /** Readings waiting to be sent or acknowledged. */
  pending: number;
  /** Readings dropped because the outbox was full, since it was created. */
  dropped: number;
}
