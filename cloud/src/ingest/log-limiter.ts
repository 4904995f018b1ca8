/**
 * Lets through at most `perWindow` log lines per key (an error code, say) per window, and counts the rest, so a
 * gateway sending garbage at 10,000 messages/s cannot flood the log. The count of lines held back is reported
 * with the next line let through.
 */
export class LogLimiter {
  readonly #seen = new Map<string, { windowStart: number; lines: number; suppressed: number }>();

  constructor(
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined to hold this line back; else how many lines of `key` were held back since the last one let through. */
  admit(key: string): number | undefined {
    const t = this.now();
    let entry = this.#seen.get(key);
    if (!entry || t - entry.windowStart >= this.windowMs) {
      entry = { windowStart: t, lines: 0, suppressed: entry?.suppressed ?? 0 };
      this.#seen.set(key, entry);
    }
    if (entry.lines >= this.perWindow) {
      entry.suppressed += 1;
      return undefined;
    }
    entry.lines += 1;
    const suppressed = entry.suppressed;
    entry.suppressed = 0;
    return suppressed;
  }
}
