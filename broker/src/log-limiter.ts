/**
 * Keeps refusal logs readable under a flood: at most `perWindow` lines per key per window; the first
 * line of the next window says how many were suppressed. The counters still count every one.
 */
export class LogLimiter {
  readonly #windows = new Map<string, { startMs: number; logged: number; suppressed: number }>();

  constructor(
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log an event of `key` now, and how many of its events went unlogged before it. */
  allow(key: string): { log: boolean; suppressed: number } {
    const now = this.now();
    let w = this.#windows.get(key);
    if (!w || now - w.startMs >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { startMs: now, logged: 0, suppressed: 0 };
      this.#windows.set(key, w);
      w.logged = 1;
      return { log: true, suppressed };
    }
    if (w.logged < this.perWindow) {
      w.logged += 1;
      return { log: true, suppressed: 0 };
    }
    w.suppressed += 1;
    return { log: false, suppressed: 0 };
  }
}
