/**
 * Reconnect delays: exponential from minMs to maxMs, each drawn uniformly in [½, 1] of the current cap ("equal
 * jitter"), so a province's gateways that lost the broker together do not come back in lockstep, and none waits
 * less than half the cap.
 */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, ms; each call doubles the cap up to maxMs. */
  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  /** After a connection that worked: start again from minMs. */
  reset(): void {
    this.#attempt = 0;
  }
}
