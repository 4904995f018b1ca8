/**
 * A token bucket: tokens refill continuously at `ratePerSec` up to `burst`; each event takes one.
 * Pure: the caller passes the clock (ms), so tests drive it without timers.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.#tokens = burst;
    this.#last = nowMs;
  }

  #refill(nowMs: number): void {
    if (nowMs > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#last) * this.ratePerSec) / 1000);
      this.#last = nowMs;
    }
  }

  /** Takes a token if one is available now. */
  tryTake(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Reserves the next token, borrowing against the refill if the bucket is empty. Returns the ms
   * until that token is due (0: now), or -1 without reserving anything if it is due in more than
   * `maxWaitMs`. Successive reservations are due in order, `1000 / ratePerSec` ms apart.
   */
  reserve(nowMs: number, maxWaitMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    const waitMs = ((1 - this.#tokens) * 1000) / this.ratePerSec;
    if (waitMs > maxWaitMs) return -1;
    this.#tokens -= 1;
    return waitMs;
  }

  /** True when the bucket has refilled completely by `nowMs` (it can be forgotten and recreated). */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.burst;
  }
}
