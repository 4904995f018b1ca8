/**
 * Where ingest keeps the messages it acknowledged without storing their readings: every protocol decode failure,
 * wrong topic, and batch the telemetry store refused as bad data. A dead letter is kept for people (what arrived,
 * and why it was refused), never replayed automatically.
 */

/** A refused message, as ingest reports it. */
export interface DeadLetterInput {
  /** The MQTT topic it arrived on, as received (may be malformed). */
  topic: string;
  /** Site and gateway ids, when the topic parsed; they make the letter findable by gateway. */
  site?: string;
  gateway?: string;
  /** The payload bytes as received; the store keeps at most its `maxPayloadBytes` of them. */
  payload: Uint8Array;
  /** Stable code of the refusal: IOC_ERR_TOPIC, IOC_ERR_PAYLOAD_JSON, IOC_ERR_STORE_BAD_DATA … */
  code: string;
  /** Where the problem is: a JSON pointer (`/readings/3/ts`), a topic segment name, or `''`. */
  path: string;
  /** For people; may quote the store's own words. */
  message: string;
  /** Arrival time, epoch ms UTC. */
  at: number;
}

/** A stored dead letter. */
export interface DeadLetter {
  /** Increases with every letter stored; the paging cursor. */
  id: number;
  /** Arrival time, epoch ms UTC. */
  at: number;
  topic: string;
  site: string | null;
  gateway: string | null;
  code: string;
  path: string;
  message: string;
  /** The first `maxPayloadBytes` bytes of the payload. */
  payload: Buffer;
  /** Size of the payload as received, bytes; more than `payload.length` when it was cut. */
  payloadBytes: number;
}

/** Which letters to count or list; every filter given must match. */
export interface DeadLetterFilter {
  code?: string;
  site?: string;
  gateway?: string;
  /** Arrival at or after, epoch ms (inclusive). */
  from?: number;
  /** Arrival before, epoch ms (exclusive). */
  to?: number;
}

export interface DeadLetterQuery extends DeadLetterFilter {
  /** Only letters with an id below this: pass the previous page's `next`. */
  before?: number;
  /** Most letters to return, newest first; default 20, at most 1,000. */
  limit?: number;
}

export interface DeadLetterPage {
  /** Newest first. */
  letters: DeadLetter[];
  /** How many letters match the filter (the cursor aside). */
  total: number;
  /** Cursor of the next (older) page, or null when this was the last. */
  next: number | null;
}

export interface DeadLetterStats {
  /** Letters kept now. */
  stored: number;
  /** Letters kept now, by code. */
  byCode: Record<string, number>;
  /** Letters deleted by the bounds (count, age) since the store was created. */
  pruned: number;
  /** Arrival of the oldest and newest kept letter, epoch ms; null when empty. */
  oldest: number | null;
  newest: number | null;
}

/**
 * Contract (proved for every implementation by deadLetterStoreContract):
 * - add() resolves once the letter is durable as far as the store goes (ingest acknowledges the message after it).
 * - Bounded: the oldest letters beyond the configured count or age are deleted and counted in `pruned`.
 * - Payloads are kept byte for byte up to the cap, with their original size.
 */
export interface DeadLetterStore {
  add(letter: DeadLetterInput): Promise<void>;
  /** Letters matching the query, newest first, one page. */
  list(q?: DeadLetterQuery): Promise<DeadLetterPage>;
  /** How many letters match. */
  count(filter?: DeadLetterFilter): Promise<number>;
  stats(): Promise<DeadLetterStats>;
  /** Refuses further calls; idempotent. */
  close(): Promise<void>;
}
