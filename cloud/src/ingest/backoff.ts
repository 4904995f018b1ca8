/** Jittered exponential backoff ("full jitter"): attempt 0 waits up to `initialMs`, each next up to twice as long. */
export interface BackoffOptions {
  /** Upper bound of the first delay, ms. */
  initialMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0-based), ms: uniform in [0, min(maxMs, initialMs · 2^attempt)). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Resolves after `ms` (global setTimeout, so fake clocks drive it). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
