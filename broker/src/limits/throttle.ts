/**
 * Releases callbacks at their due times, strictly in the order they were scheduled (so a throttled
 * client's PUBLISHes keep their order, [MQTT-4.6.0-2]), with a single timer.
 */
export class Throttle {
  readonly #queue: { dueMs: number; release: () => void }[] = [];

  constructor(private readonly now: () => number) {}

  /** Calls `release` at `dueMs` (clock of `now`), after every callback scheduled before it. */
  schedule(dueMs: number, release: () => void): void {
    this.#queue.push({ dueMs, release });
    if (this.#queue.length === 1) this.#arm();
  }

  /** Callbacks still waiting. */
  get pending(): number {
    return this.#queue.length;
  }

  #arm(): void {
    const head = this.#queue[0];
    if (!head) return;
    setTimeout(() => this.#fire(), Math.max(0, head.dueMs - this.now()));
  }

  #fire(): void {
    const now = this.now();
    while (this.#queue.length > 0 && this.#queue[0]!.dueMs <= now) this.#queue.shift()!.release();
    this.#arm();
  }
}
