import type { Buffer } from 'node:buffer';
import { encodeTelemetry, type Reading } from '@ioc/protocol';
import type { Logger } from 'pino';
import type { Outbox, OutboxSlice } from '../outbox/outbox.js';

/**
 * The two lanes of one MQTT connection. The **backlog** is what waited in the outbox for the link: readings queued
 * while it was down (from a failed connection attempt or a lost session until this connection came up), and those a
 * previous run of the agent left. It is replayed oldest first, in `historical: true` batches, with the original
 * timestamps. Everything else is **live** (including what was measured while the very first connection of this run
 * was being set up, if that attempt did not fail).
 * Each lane keeps one batch in flight, so the lanes alternate on the wire and a replay of hours of backlog never
 * holds a live reading back by more than one batch.
 */
export type LaneKind = 'live' | 'backlog';

/** Batch shaping; may change while running (remote config). */
export interface Batching {
  /** Readings per telemetry message, at most. */
  maxBatchReadings: number;
  /** Live lane: how long to wait for more readings before sending a partial batch, ms. */
  lingerMs: number;
}

export interface LaneCounters {
  messagesSent: number;
  readingsSent: number;
  historicalReadingsSent: number;
  /** Readings the wire contract refused at encoding (a driver bug), removed and logged rather than blocking. */
  refusedReadings: number;
  lastSeq: number;
}

/** What a lane needs from its connection. */
export interface LaneContext {
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly counters: LaneCounters;
  batching(): Batching;
  /** Publishes at QoS 1; true once the PUBACK arrived, false if the connection closed first. */
  publish(payload: Buffer): Promise<boolean>;
  /** Resolves when the connection closes or the uplink stops. */
  readonly closed: Promise<void>;
  isOpen(): boolean;
}

/** Resolves after ms, or as soon as `closed` does. */
export function wait(ms: number, closed: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void closed.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Encodes a slice, or explains why the wire contract refuses it. */
function encode(seq: number, readings: Reading[], historical: boolean): { payload: Buffer } | { error: Error & { code?: string } } {
  try {
    return { payload: encodeTelemetry({ seq, readings, historical }) };
  } catch (err) {
    return { error: err as Error & { code?: string } };
  }
}

/** Batches the backlog lane keeps in flight: overlaps round trips (and a disk's fsyncs) during a replay. */
export const BACKLOG_IN_FLIGHT = 4;

/** Where a lane stands; shared by its senders. */
interface LaneState {
  /** The next position to read: a batch is claimed (cursor moved past it) when it is sent. */
  cursor: number;
  /** Batch size now: halved while the encoder refuses a slice, doubled back after each success. */
  limit: number;
}

/**
 * Runs one lane until its connection closes; the backlog lane also ends once it has replayed everything below
 * `before`. The live lane keeps one batch in flight, the backlog lane BACKLOG_IN_FLIGHT, sent in position order. A
 * batch is removed from the outbox only after its PUBACK; if the connection closes first, the batch stays and the next
 * connection replays it (as backlog).
 */
export async function runLane(kind: LaneKind, from: number, before: number | undefined, ctx: LaneContext): Promise<void> {
  const state: LaneState = { cursor: from, limit: ctx.batching().maxBatchReadings };
  const senders = kind === 'live' ? 1 : BACKLOG_IN_FLIGHT;
  await Promise.all(Array.from({ length: senders }, () => sender(kind, before, ctx, state)));
}

async function sender(kind: LaneKind, before: number | undefined, ctx: LaneContext, state: LaneState): Promise<void> {
  const { outbox, counters } = ctx;
  while (ctx.isOpen()) {
    const { maxBatchReadings, lingerMs } = ctx.batching();
    if (kind === 'live') {
      await Promise.race([outbox.whenAppended(state.cursor), ctx.closed]);
      if (!ctx.isOpen()) return;
      if (outbox.end() - state.cursor < maxBatchReadings && lingerMs > 0) await wait(lingerMs, ctx.closed);
      if (!ctx.isOpen()) return;
    }
    const slice = outbox.read(state.cursor, Math.min(state.limit, maxBatchReadings), before);
    if (slice.readings.length === 0) {
      if (kind === 'backlog') return;
      state.cursor = slice.next;
      continue;
    }
    // The seq is taken before encoding; a slice the encoder refuses (never in practice: readings are checked before
    // they enter the outbox) leaves a gap in seq.
    const seq = outbox.nextSeq();
    const encoded = encode(seq, slice.readings, kind === 'backlog');
    if ('error' in encoded) {
      state.limit = refuse(slice, encoded.error, ctx);
      if (state.limit === 0) {
        state.cursor = slice.next;
        state.limit = maxBatchReadings;
      }
      continue;
    }
    state.cursor = slice.next;
    if (!(await ctx.publish(encoded.payload))) return;
    outbox.remove(slice.first, slice.next);
    state.limit = Math.min(maxBatchReadings, state.limit * 2);
    counters.messagesSent += 1;
    counters.readingsSent += slice.readings.length;
    if (kind === 'backlog') counters.historicalReadingsSent += slice.readings.length;
    counters.lastSeq = Math.max(counters.lastSeq, seq);
  }
}

/**
 * A slice the encoder refused: too large → halve it; otherwise narrow down to the one reading at fault, which is
 * then removed, counted and logged (returns 0) so that it never blocks the readings behind it.
 */
function refuse(slice: OutboxSlice, error: Error & { code?: string }, ctx: LaneContext): number {
  if (slice.readings.length > 1) return Math.max(1, Math.floor(slice.readings.length / 2));
  ctx.outbox.remove(slice.first, slice.next);
  ctx.counters.refusedReadings += 1;
  ctx.log.error({ reading: slice.readings[0], code: error.code }, `reading refused by the wire contract and removed: ${error.message}`);
  return 0;
}
