import type { Logger } from 'pino';
import type { TelemetryStore } from '../store/telemetry-store.js';

/**
 * The store's rollups are computed on its own schedule over recent buckets only (RESAMPLE FOR, 10 minutes for the
 * 1-minute rollup by default). Readings written later than that — a gateway replaying its outbox after an outage —
 * would never be rolled up. This remembers the span of such late readings and has the store recompute it, at most
 * once per interval.
 */
export class RollupRefresher {
  #from = Infinity;
  #to = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<TelemetryStore, 'refreshRollups'>,
    private readonly log: Logger,
    private readonly opts: {
      /** How often a pending span is refreshed, ms. */
      intervalMs: number;
      /** Readings older than this when written are late, ms (keep it below the store's shortest RESAMPLE FOR). */
      lateAfterMs: number;
      now: () => number;
    },
  ) {}

  /** Readings spanning [oldestTs, newestTs] were just written. */
  written(oldestTs: number, newestTs: number): void {
    if (oldestTs >= this.opts.now() - this.opts.lateAfterMs) return;
    this.#from = Math.min(this.#from, oldestTs);
    this.#to = Math.max(this.#to, newestTs + 1);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#refresh();
    }, this.opts.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer; a refresh in progress is awaited, a pending span is dropped (the store can be refreshed later). */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #refresh(): Promise<void> {
    const [from, to] = [this.#from, this.#to];
    this.#from = Infinity;
    this.#to = -Infinity;
    try {
      await this.store.refreshRollups(from, to);
      this.log.info({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }, 'rollups refreshed for late readings');
    } catch (err) {
      this.log.warn({ err }, 'rollup refresh failed; trying again later');
      this.written(from, to - 1);
    }
  }
}
