/**
 * Publish latencies in a log-linear histogram (buckets 2 % wide from 1 µs to ~100 s): constant memory however many
 * samples, percentiles within 2 %.
 */
export class LatencyHistogram {
  private static readonly MIN_MS = 0.001;
  private static readonly GROWTH = 1.02;
  private static readonly BUCKETS = 1000;
  private readonly counts = new Uint32Array(LatencyHistogram.BUCKETS);
  private total = 0;
  private maxMs = 0;

  record(ms: number): void {
    const x = Math.max(ms, LatencyHistogram.MIN_MS);
    const i = Math.min(LatencyHistogram.BUCKETS - 1, Math.floor(Math.log(x / LatencyHistogram.MIN_MS) / Math.log(LatencyHistogram.GROWTH)));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total += 1;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The latency below which `p` (0 … 1) of the samples fall, ms (the bucket's upper edge); NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, LatencyHistogram.MIN_MS * LatencyHistogram.GROWTH ** (i + 1));
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }
}
