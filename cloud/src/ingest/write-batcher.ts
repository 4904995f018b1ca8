/**
 * Gathers the readings of many messages into batches (by size and by time) and writes them with bounded concurrency,
 * classifying every failure the way telegraf's influxdb output does:
 * - retryable (5xx, 429, timeouts, refused connections): retry the same batch with jittered backoff, forever — the
 *   messages stay unacknowledged meanwhile, so nothing is lost and nothing is acknowledged early;
 * - bad data (4xx) or too large (413): split the batch by message and write the halves, down to the one message the
 *   store refuses, which is handed to `refused` (a dead letter); valid messages beside it are written.
 * A batch whose messages all belong to a lost connection is dropped at its next retry: the broker sends them again.
 */
import type { Logger } from 'pino';
import type { StoredReading, TelemetryStore } from '../store/telemetry-store.js';
import { StoreErrorCode, type StoreError } from '../store/errors.js';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';

/** The readings of one message, and what to do once they are stored or refused. */
export interface BatchItem {
  readings: StoredReading[];
  /** True once the connection this message arrived on is gone (writing it is then pointless). */
  stale(): boolean;
  /** Its readings are stored. */
  written(): void;
  /** The store refused its readings as bad data (or too large alone); resolves once that is recorded. */
  refused(err: StoreError): Promise<void>;
}

export interface WriteBatcherOptions {
  store: TelemetryStore;
  log: Logger;
  /** A batch is written once it holds this many readings; default 5,000. */
  maxBatchPoints?: number;
  /** …or once its first message has waited this long, ms; default 1,000. */
  flushIntervalMs?: number;
  /** Most writes in flight; default 4 (InfluxDB 1.6 fails writes with > ~1,024 pending). */
  maxConcurrentWrites?: number;
  /** Backoff of retryable failures; default 250 ms doubling up to 10,000 ms, full jitter. */
  retry?: Partial<BackoffOptions>;
}

export interface WriteBatcherStats {
  /** Write requests that succeeded. */
  batches: number;
  /** Readings written (a reading written again after a split counts again). */
  points: number;
  /** Failed writes retried later. */
  retries: number;
  /** Batches split in two after a bad-data or too-large answer. */
  splits: number;
  /** Messages handed to `refused`. */
  refused: number;
  inFlight: number;
  bufferedPoints: number;
}

export class WriteBatcher {
  readonly #store: TelemetryStore;
  readonly #log: Logger;
  readonly #maxPoints: number;
  readonly #intervalMs: number;
  readonly #maxInFlight: number;
  readonly #retry: BackoffOptions;
  #buffer: BatchItem[] = [];
  #bufferedPoints = 0;
  #timer: NodeJS.Timeout | undefined;
  #lingerOver = false;
  #closing = false;
  readonly #writes = new Set<Promise<void>>();
  readonly #stats = { batches: 0, points: 0, retries: 0, splits: 0, refused: 0 };

  constructor(opts: WriteBatcherOptions) {
    this.#store = opts.store;
    this.#log = opts.log;
    this.#maxPoints = positive('maxBatchPoints', opts.maxBatchPoints ?? 5_000);
    this.#intervalMs = positive('flushIntervalMs', opts.flushIntervalMs ?? 1_000);
    this.#maxInFlight = positive('maxConcurrentWrites', opts.maxConcurrentWrites ?? 4);
    this.#retry = { initialMs: 250, maxMs: 10_000, ...opts.retry };
  }

  stats(): WriteBatcherStats {
    return { ...this.#stats, inFlight: this.#writes.size, bufferedPoints: this.#bufferedPoints };
  }

  add(item: BatchItem): void {
    this.#buffer.push(item);
    this.#bufferedPoints += item.readings.length;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#lingerOver = true;
      this.#pump();
    }, this.#intervalMs);
    if (this.#bufferedPoints >= this.#maxPoints) this.#pump();
  }

  /** Writes what is buffered as soon as a write slot is free, without waiting for the interval. */
  flushNow(): void {
    this.#lingerOver = true;
    this.#pump();
  }

  /** Flushes and waits until nothing is buffered or in flight. */
  async drain(): Promise<void> {
    this.flushNow();
    while (this.#writes.size > 0) {
      await Promise.race(this.#writes);
      this.flushNow();
    }
  }

  /** Stops retrying and starts nothing new; in-flight writes end at their next failure. Buffered items are dropped. */
  close(): void {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#buffer = [];
    this.#bufferedPoints = 0;
  }

  /** Starts writes while a slot is free and a batch is due (full, or the interval is over). */
  #pump(): void {
    while (
      !this.#closing &&
      this.#buffer.length > 0 &&
      this.#writes.size < this.#maxInFlight &&
      (this.#bufferedPoints >= this.#maxPoints || this.#lingerOver)
    ) {
      const batch = this.#take();
      const write = this.#write(batch).catch((err: unknown) => this.#log.error({ err }, 'ingest batch failed unexpectedly'));
      this.#writes.add(write);
      void write.then(() => {
        this.#writes.delete(write);
        this.#pump();
      });
    }
    if (this.#buffer.length === 0) {
      this.#lingerOver = false;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Cuts the first batch off the buffer: whole messages, up to maxBatchPoints readings (at least one message). */
  #take(): BatchItem[] {
    let points = 0;
    let n = 0;
    while (n < this.#buffer.length) {
      const size = this.#buffer[n]?.readings.length ?? 0;
      if (n > 0 && points + size > this.#maxPoints) break;
      points += size;
      n += 1;
    }
    this.#bufferedPoints -= points;
    return this.#buffer.splice(0, n);
  }

  /** Writes `items` until stored, refused (split down to single messages) or abandoned. */
  async #write(items: BatchItem[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closing || items.every((i) => i.stale())) return;
      const readings = items.length === 1 ? (items[0]?.readings ?? []) : items.flatMap((i) => i.readings);
      try {
        await this.#store.write(readings);
        this.#stats.batches += 1;
        this.#stats.points += readings.length;
        for (const item of items) item.written();
        return;
      } catch (err) {
        const e = err as Partial<StoreError>;
        if (e.code === StoreErrorCode.BAD_DATA || e.code === StoreErrorCode.TOO_LARGE) return this.#split(items, err as StoreError);
        if (e.code === StoreErrorCode.CLOSED) return;
        this.#stats.retries += 1;
        const delayMs = backoffDelay(attempt, this.#retry);
        const level = attempt === 0 ? 'warn' : 'debug';
        this.#log[level]({ code: e.code, delayMs, points: readings.length }, `store write failed, holding the messages: ${e.message ?? String(err)}`);
        await sleep(delayMs);
      }
    }
  }

  async #split(items: BatchItem[], err: StoreError): Promise<void> {
    const [only] = items;
    if (items.length === 1 && only) {
      this.#stats.refused += 1;
      await only.refused(err);
      return;
    }
    this.#stats.splits += 1;
    const half = Math.ceil(items.length / 2);
    await this.#write(items.slice(0, half));
    await this.#write(items.slice(half));
  }
}

function positive(name: string, n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name}: must be a positive number (got ${n})`);
  return n;
}
