/**
 * Trailing-window statistics of one series in 60 buckets of window/60 each (1 min for 1 h, 24 min for 24 h), so a
 * subject costs at most 61 small objects whatever its sensor's rate. Plain data, so it snapshots as JSON.
 *
 * The window (ts − windowMs, ts] is kept to bucket resolution: buckets starting at or after ts − windowMs.
 * Timestamps must not decrease (the engine drops late readings before they get here).
 */

/** One bucket: readings whose ts falls in [i·bucketMs, (i+1)·bucketMs). */
export interface Bucket {
  i: number;
  sum: number;
  n: number;
  /** ts and value of the bucket's first reading. */
  t0: number;
  v0: number;
}

export const BUCKETS_PER_WINDOW = 60;

/** Adds a reading and drops buckets that left the window. */
export function addToWindow(buckets: Bucket[], windowMs: number, ts: number, value: number): void {
  const size = windowMs / BUCKETS_PER_WINDOW;
  const i = Math.floor(ts / size);
  const last = buckets[buckets.length - 1];
  if (last !== undefined && last.i === i) {
    last.sum += value;
    last.n += 1;
  } else {
    buckets.push({ i, sum: value, n: 1, t0: ts, v0: value });
  }
  const firstKept = Math.ceil((ts - windowMs) / size);
  let drop = 0;
  while (drop < buckets.length && (buckets[drop]?.i ?? Infinity) < firstKept) drop++;
  if (drop > 0) buckets.splice(0, drop);
}

/** Mean of the readings in the window (NaN when empty). */
export function windowMean(buckets: readonly Bucket[]): number {
  let sum = 0;
  let n = 0;
  for (const b of buckets) {
    sum += b.sum;
    n += b.n;
  }
  return sum / n;
}

/** The oldest reading still in the window, or undefined. */
export function windowOldest(buckets: readonly Bucket[]): { ts: number; value: number } | undefined {
  const b = buckets[0];
  return b === undefined ? undefined : { ts: b.t0, value: b.v0 };
}
