import type { Reading } from '@ioc/protocol';

/**
 * Where every reading waits between its driver and a PUBACK. Each appended reading gets a **position**: an integer
 * that grows by one per reading and is never reused while the outbox lives. Readings leave only when `remove` says
 * the broker has them, or when the outbox is full (the oldest are then dropped and counted).
 *
 * Positions let the uplink read two lanes at once — the backlog from an outage and the live readings — and
 * acknowledge each batch by its range, whatever happened to the other lane meanwhile.
 *
 * Contract (checked by outboxContract for every implementation):
 * - append never blocks on the network; when a bound is exceeded, the OLDEST pending readings are dropped and
 *   counted in `dropped`.
 * - read returns pending readings in position order without removing them; reading again returns the same ones.
 * - remove(first, next) removes exactly the pending readings with first ≤ position < next; positions that are
 *   no longer pending (dropped, already removed) are ignored.
 * - nextSeq returns 1, 2, 3, … and never repeats a value while the outbox lives.
 */
export interface Outbox {
  /**
   * Queues readings at positions end() … end() + n − 1. For a durable outbox, the readings are on disk when it
   * returns (per its sync policy). Throws (code IOC_ERR_OUTBOX_IO) only when storage fails.
   */
  append(readings: readonly Reading[]): void;
  /** Up to `max` pending readings with from ≤ position < before (default: end()), oldest first. */
  read(from: number, max: number, before?: number): OutboxSlice;
  /** Removes the pending readings with first ≤ position < next: the broker acknowledged them. */
  remove(first: number, next: number): void;
  /** The position the next appended reading will get. */
  end(): number;
  stats(): OutboxStats;
  /** Resolves once end() > after, i.e. a reading was appended at or after position `after` (at once if so). */
  whenAppended(after: number): Promise<void>;
  /** The next telemetry message number: 1, 2, 3, …; a durable outbox keeps counting across restarts. */
  nextSeq(): number;
  /** Wakes every waiter and releases storage; no other method may be called afterwards. */
  close(): void;
}

/** A run of pending readings, as read. */
export interface OutboxSlice {
  /** In position order; empty when nothing is pending in the range read. */
  readings: Reading[];
  /** Position of the first reading returned (the `from` read when none). */
  first: number;
  /** Position right after the last reading returned: read from here to continue, remove up to here to ack. */
  next: number;
}

export interface OutboxStats {
  /** Readings waiting to be sent or acknowledged. */
  pending: number;
  /** Accounted size of the pending readings, bytes (see readingBytes); what `maxBytes` bounds. */
  bytes: number;
  /** Readings dropped because the outbox was full: since install for a durable outbox, else since creation. */
  dropped: number;
}

/** Bounds of an outbox: whichever is reached first makes it drop its oldest readings. */
export interface OutboxLimits {
  /** Most pending readings. */
  maxReadings: number;
  /** Most accounted bytes of pending readings. */
  maxBytes: number;
}

/**
 * Accounted bytes of one reading: its ids plus a fixed overhead that approximates a row of the disk outbox
 * (position, ts, value, quality and SQLite's record and b-tree overhead; measured in sqlite-outbox.test.ts).
 */
export const READING_OVERHEAD_BYTES = 32;

export function readingBytes(r: Pick<Reading, 'sensor' | 'metric'>): number {
  return READING_OVERHEAD_BYTES + r.sensor.length + r.metric.length;
}

/** Checks limits are positive integers; throws RangeError otherwise. */
export function checkLimits(limits: OutboxLimits): OutboxLimits {
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || (value as number) < 1) throw new RangeError(`${key} must be an integer of at least 1`);
  }
  return limits;
}
