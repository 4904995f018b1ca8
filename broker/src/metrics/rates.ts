/**
 * Per-second rates of monotonic counters over a sliding window: the caller samples the counters
 * (once a second, from a timer) and reads rates averaged over the last `windowSec` seconds.
 */
export class RateWindow {
  readonly #samples: { atMs: number; values: number[] }[] = [];

  constructor(private readonly windowSec = 10) {}

  /** Records the counters' values at `atMs`. */
  sample(atMs: number, values: readonly number[]): void {
    this.#samples.push({ atMs, values: [...values] });
    const horizon = atMs - this.windowSec * 1000;
    // keep one sample at or before the horizon, so the window is always fully covered
    while (this.#samples.length > 2 && this.#samples[1]!.atMs <= horizon) this.#samples.shift();
  }

  /** Per-second rate of each counter between the oldest and newest sample; zeros until two samples exist. */
  rates(): number[] {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return last ? last.values.map(() => 0) : [];
    const sec = (last.atMs - first.atMs) / 1000;
    return last.values.map((v, i) => (v - (first.values[i] ?? 0)) / sec);
  }
}
