/**
 * The window of received, not yet acknowledged messages, in arrival order. A message is acknowledged only once it is
 * settled (its readings written, or it was dead-lettered), and PUBACKs leave in the order the PUBLISHes arrived
 * ([MQTT-4.6.0-2]): a settled message waits behind an unsettled older one. The window is bounded by messages and
 * bytes; past either bound the owner stops reading from the broker until half of it is acknowledged.
 */

/** A place in the window; settle() exactly when the message needs nothing more. Idempotent. */
export interface Ticket {
  /** Connection (session generation) the message arrived on. */
  readonly session: number;
  settle(): void;
}

export interface AckWindowOptions {
  /** Most unacknowledged messages held. */
  maxMessages: number;
  /** Most payload bytes held by unsettled messages. */
  maxBytes: number;
  /** Sends the PUBACKs of `ids`, in that order, on connection `session`. */
  acknowledge(session: number, ids: number[]): void;
  /** The window just filled up: stop reading. */
  full(): void;
  /** The window is at most half full again: read on. */
  room(): void;
}

interface Entry {
  readonly session: number;
  /** MQTT packet identifier; undefined for QoS 0 (nothing to acknowledge). */
  readonly id: number | undefined;
  readonly bytes: number;
  settled: boolean;
}

export class AckWindow {
  #queue: Entry[] = [];
  #head = 0;
  #bytes = 0;
  #generation = 0;
  #isFull = false;

  constructor(private readonly opts: AckWindowOptions) {}

  /** Messages received and not yet acknowledged. */
  get messages(): number {
    return this.#queue.length - this.#head;
  }

  /** Payload bytes of unsettled messages. */
  get bytes(): number {
    return this.#bytes;
  }

  get isFull(): boolean {
    return this.#isFull;
  }

  /** Takes a place for a message that just arrived. */
  add(session: number, id: number | undefined, bytes: number): Ticket {
    const entry: Entry = { session, id, bytes, settled: false };
    const generation = this.#generation;
    this.#queue.push(entry);
    this.#bytes += bytes;
    if (!this.#isFull && (this.messages >= this.opts.maxMessages || this.#bytes >= this.opts.maxBytes)) {
      this.#isFull = true;
      this.opts.full();
    }
    return {
      session,
      settle: () => {
        if (entry.settled || generation !== this.#generation) return;
        entry.settled = true;
        this.#bytes -= entry.bytes;
        this.#release();
      },
    };
  }

  /**
   * Forgets every message (the connection was lost: the broker will send the unacknowledged ones again). Tickets
   * handed out before are void: settling them acknowledges nothing.
   */
  reset(): void {
    this.#generation += 1;
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#checkRoom();
  }

  /** Acknowledges the settled messages at the head of the window, oldest first. */
  #release(): void {
    const ids: number[] = [];
    let session: number | undefined;
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head];
      if (!entry?.settled) break;
      if (session !== undefined && entry.session !== session) {
        this.opts.acknowledge(session, ids.splice(0));
      }
      session = entry.session;
      if (entry.id !== undefined) ids.push(entry.id);
      this.#head += 1;
    }
    if (session !== undefined && ids.length > 0) this.opts.acknowledge(session, ids);
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#checkRoom();
  }

  #checkRoom(): void {
    if (this.#isFull && this.messages <= this.opts.maxMessages / 2 && this.#bytes <= this.opts.maxBytes / 2) {
      this.#isFull = false;
      this.opts.room();
    }
  }
}
