import { canPublish } from './auth/acl.js';
import type { Principal } from './auth/principal.js';
import type { Throttle } from './limits/throttle.js';
import type { TokenBucket } from './limits/token-bucket.js';

/** Publish decisions remembered per client; a gateway has three legal topics, so a few entries suffice. */
const ACL_MEMO_MAX = 16;

/** Totals over all clients, kept alongside the per-client counts (for metrics and graceful shutdown). */
export interface Totals {
  inflight: number;
  outstanding: number;
}

/**
 * What the broker keeps per admitted connection. Small on purpose (an idle client costs only this
 * object and its principal): the rate bucket, throttle and ACL memo appear on the first PUBLISH.
 */
export class ClientState {
  /** QoS ≥ 1 PUBLISHes authorized and not yet routed. */
  inflight = 0;
  /** QoS ≥ 1 messages written to this client and not yet acknowledged. */
  outstanding = 0;
  /** Set when the connection has closed: late completions no longer touch the totals. */
  closed = false;
  /** Set once its deliveries are counted (from its first subscription). */
  delivering = false;
  bucket: TokenBucket | undefined;
  throttle: Throttle | undefined;
  #acl: Map<string, boolean> | undefined;

  constructor(
    readonly principal: Principal,
    /** The account: gateway id or service account name (equals the client id). */
    readonly username: string,
    private readonly totals: Totals,
  ) {}

  /** canPublish, memoized per topic and retain flag. */
  mayPublish(topic: string, retain: boolean): boolean {
    const key = retain ? `r ${topic}` : topic;
    const known = this.#acl?.get(key);
    if (known !== undefined) return known;
    const allowed = canPublish(this.principal, topic, retain);
    this.#acl ??= new Map();
    if (this.#acl.size >= ACL_MEMO_MAX) this.#acl.clear();
    this.#acl.set(key, allowed);
    return allowed;
  }

  addInflight(): void {
    this.inflight += 1;
    this.totals.inflight += 1;
  }

  releaseInflight(): void {
    if (this.closed || this.inflight === 0) return;
    this.inflight -= 1;
    this.totals.inflight -= 1;
  }

  addOutstanding(): void {
    if (this.closed) return;
    this.outstanding += 1;
    this.totals.outstanding += 1;
  }

  /** A PUBACK/PUBCOMP arrived. Acks of messages resent from a resumed session were never counted: ignored. */
  acknowledged(): void {
    if (this.closed || this.outstanding === 0) return;
    this.outstanding -= 1;
    this.totals.outstanding -= 1;
  }

  /** The connection closed: what it had in flight no longer holds up a graceful shutdown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.totals.inflight -= this.inflight;
    this.totals.outstanding -= this.outstanding;
    this.inflight = 0;
    this.outstanding = 0;
  }
}
