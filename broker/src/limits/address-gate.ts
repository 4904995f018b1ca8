import { TokenBucket } from './token-bucket.js';

/**
 * Connection rate per source address: one token bucket per address, forgotten once refilled, so
 * the table holds only addresses that connected recently.
 */
export class AddressGate {
  readonly #buckets = new Map<string, TokenBucket>();
  #sweptAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.#sweptAt = now();
  }

  /** May `address` open one more connection now? */
  admit(address: string): boolean {
    const now = this.now();
    if (now - this.#sweptAt > 10_000) this.#sweep(now);
    let bucket = this.#buckets.get(address);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSec, this.burst, now);
      this.#buckets.set(address, bucket);
    }
    return bucket.tryTake(now);
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [address, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(address);
  }
}
