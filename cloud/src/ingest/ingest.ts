/**
 * Ingest: every gateway's telemetry and state, from the broker to the telemetry store, losing nothing.
 *
 *   broker ─PUBLISH─► MqttSubscriber ─► decode ─┬─ valid telemetry ─► WriteBatcher ─► store (gzip, batched)
 *                                               ├─ state ─► GatewayStatusBoard
 *                                               └─ invalid ─► DeadLetterStore
 *          ◄─PUBACK── AckWindow (in arrival order, once each message is written or dead-lettered)
 *
 * A message is acknowledged only after its readings are written (or it is kept as a dead letter), so a crash, a
 * lost connection or a store outage never loses an acknowledged reading: the broker sends unacknowledged messages
 * again, and the store's idempotent points absorb the duplicates. While the store is down, writes are retried with
 * backoff, the window fills, ingest stops reading, the broker holds the queue, and the gateways' outboxes the rest.
 */
import type { Logger } from 'pino';
import { decodeState, decodeTelemetry, filters, parseTopic, type ProtocolError, type Reading, type StateMessage } from '@ioc/protocol';
import type { TelemetryStore } from '../store/telemetry-store.js';
import type { StoreError } from '../store/errors.js';
import type { DeadLetterInput, DeadLetterStore } from '../deadletter/dead-letter-store.js';
import { AckWindow, type Ticket } from './ack-window.js';
import { backoffDelay, sleep } from './backoff.js';
import { GatewayStatusBoard } from './gateway-status.js';
import { LogLimiter } from './log-limiter.js';
import { MqttSubscriber, type InboundMessage } from './mqtt-subscriber.js';
import { RollupRefresher } from './rollup-refresher.js';
import { WriteBatcher, type WriteBatcherStats } from './write-batcher.js';

/**
 * Sees every valid message as it arrives (before its write; again on a redelivery), e.g. the rules engine. Called
 * synchronously on the ingest path: keep it fast. What it throws is logged and otherwise ignored.
 */
export interface IngestObserver {
  readings?(site: string, gateway: string, readings: readonly Reading[], historical: boolean): void;
  state?(site: string, gateway: string, state: StateMessage): void;
}

export interface IngestOptions {
  /** e.g. mqtt://127.0.0.1:1883 */
  mqttUrl: string;
  username: string;
  password: string;
  /** Stable across restarts: the broker keeps this persistent session's queue while ingest is away. Default username. */
  clientId?: string;
  store: TelemetryStore;
  /** Where refused messages are kept. */
  deadLetters: DeadLetterStore;
  log: Logger;
  /** Batching of writes: readings per batch (default 5,000), linger (default 1,000 ms), writes in flight (default 4). */
  maxBatchPoints?: number;
  flushIntervalMs?: number;
  maxConcurrentWrites?: number;
  /**
   * Unacknowledged messages held before ingest stops reading (default 10,000; keep it below 65,535, the packet-id
   * space, and at or below any in-flight limit the broker sets), and their payload bytes (default 64 MiB).
   */
  maxInFlightMessages?: number;
  maxInFlightBytes?: number;
  /** First retry delay after a retryable store error, ms; doubles up to maxRetryDelayMs (default 10,000), full jitter. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long close() waits for writes in flight before leaving their messages unacknowledged; default 5,000 ms. */
  closeTimeoutMs?: number;
  /**
   * Readings older than 5 minutes when written (an outbox replay) are outside the span the store's continuous
   * queries revisit: ingest has the store recompute their rollups, at most once per this interval, ms; default
   * 60,000; 0 turns it off.
   */
  rollupRefreshMs?: number;
  /** MQTT keep-alive, seconds; default 30. */
  keepaliveSec?: number;
  observer?: IngestObserver;
  now?: () => number;
  random?: () => number;
}

/** Ingest's counters since start. */
export interface IngestStats {
  /** Messages received (telemetry and state), redeliveries included. */
  messages: number;
  /** Readings written. */
  readings: number;
  /** Messages refused and kept as dead letters. */
  rejected: number;
  /** Failed store writes, retried later. */
  storeRetries: number;
  /** True while subscribed to the broker. */
  connected: boolean;
}

/** The write pipeline's state, for benchmarks and operators. */
export interface IngestPipelineStats extends Omit<WriteBatcherStats, 'refused' | 'retries'> {
  /** Messages received and not yet acknowledged. */
  unacknowledged: number;
  /** True while reading is paused because the window is full. */
  paused: boolean;
}

export interface Ingest {
  readonly status: GatewayStatusBoard;
  stats(): IngestStats;
  pipeline(): IngestPipelineStats;
  /**
   * Stops reading, writes what it holds (for up to closeTimeoutMs), acknowledges what was written, then disconnects;
   * anything else stays unacknowledged, for the broker to send again.
   */
  close(): Promise<void>;
}

const DEAD_LETTER_RETRY = { initialMs: 250, maxMs: 10_000 };
/** Readings older than this when written fall outside the store's RESAMPLE FOR (10 min): their rollups are refreshed. */
const LATE_AFTER_MS = 5 * 60_000;

type Refusal = Pick<ProtocolError, 'code' | 'path' | 'message'>;

/** Connects, subscribes to every gateway's telemetry and state (QoS 1, persistent session), and ingests. */
export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const ingest = new IngestService(opts);
  await ingest.start();
  return ingest;
}

class IngestService implements Ingest {
  readonly status = new GatewayStatusBoard();
  readonly #opts: IngestOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #counts = { messages: 0, readings: 0, rejected: 0 };
  readonly #window: AckWindow;
  readonly #batcher: WriteBatcher;
  readonly #subscriber: MqttSubscriber;
  readonly #late: RollupRefresher | undefined;
  readonly #refusals = new LogLimiter();
  /** The connection messages are arriving on; -1 between a loss and the next connection. */
  #session = 0;
  #closing = false;

  constructor(opts: IngestOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    const random = opts.random ? { random: opts.random } : {};
    this.#window = new AckWindow({
      maxMessages: opts.maxInFlightMessages ?? 10_000,
      maxBytes: opts.maxInFlightBytes ?? 64 * 1024 * 1024,
      acknowledge: (session, ids) => void this.#subscriber.puback(session, ids),
      full: () => {
        this.#subscriber.pause();
        this.#batcher.flushNow(); // no reason to linger: nothing more arrives until these are written
      },
      room: () => {
        if (!this.#closing) this.#subscriber.resume();
      },
    });
    this.#batcher = new WriteBatcher({
      store: opts.store,
      log: opts.log,
      ...(opts.maxBatchPoints !== undefined ? { maxBatchPoints: opts.maxBatchPoints } : {}),
      ...(opts.flushIntervalMs !== undefined ? { flushIntervalMs: opts.flushIntervalMs } : {}),
      ...(opts.maxConcurrentWrites !== undefined ? { maxConcurrentWrites: opts.maxConcurrentWrites } : {}),
      retry: { initialMs: opts.retryDelayMs ?? 250, maxMs: opts.maxRetryDelayMs ?? 10_000, ...random },
    });
    const refreshMs = opts.rollupRefreshMs ?? 60_000;
    this.#late =
      refreshMs > 0 ? new RollupRefresher(opts.store, opts.log, { intervalMs: refreshMs, lateAfterMs: LATE_AFTER_MS, now: this.#now }) : undefined;
    this.#subscriber = new MqttSubscriber(
      {
        url: opts.mqttUrl,
        clientId: opts.clientId ?? opts.username,
        username: opts.username,
        password: opts.password,
        filters: [filters.allTelemetry, filters.allState],
        log: opts.log,
        ...(opts.keepaliveSec !== undefined ? { keepaliveSec: opts.keepaliveSec } : {}),
        ...random,
      },
      {
        message: (msg) => this.#onMessage(msg),
        sessionLost: () => {
          this.#session = -1;
          this.#window.reset(); // the broker sends every unacknowledged message again
        },
      },
    );
  }

  start(): Promise<void> {
    return this.#subscriber.start();
  }

  stats(): IngestStats {
    return { ...this.#counts, storeRetries: this.#batcher.stats().retries, connected: this.#subscriber.connected };
  }

  pipeline(): IngestPipelineStats {
    const { batches, points, splits, inFlight, bufferedPoints } = this.#batcher.stats();
    return { batches, points, splits, inFlight, bufferedPoints, unacknowledged: this.#window.messages, paused: this.#window.isFull };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#subscriber.pause();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#opts.closeTimeoutMs ?? 5_000)));
    await Promise.race([this.#batcher.drain(), timeout]);
    clearTimeout(timer);
    this.#batcher.close();
    await this.#subscriber.close();
    await this.#late?.close();
  }

  #onMessage(msg: InboundMessage): void {
    this.#session = msg.session;
    const at = this.#now();
    this.#counts.messages += 1;
    const ticket = this.#window.add(msg.session, msg.messageId, msg.payload.length);
    const topic = parseTopic(msg.topic);
    if (!topic.ok) return this.#refuse(msg, ticket, at, topic.error);
    const { site, gateway, kind } = topic.value;
    if (kind === 'state') return this.#onState(msg, ticket, at, site, gateway);
    if (kind === 'telemetry') return this.#onTelemetry(msg, ticket, at, site, gateway);
    ticket.settle(); // not subscribed to anything else
  }

  #onState(msg: InboundMessage, ticket: Ticket, at: number, site: string, gateway: string): void {
    if (msg.payload.length === 0) return ticket.settle(); // an empty retained message only clears the retained state
    const state = decodeState(msg.payload);
    if (!state.ok) return this.#refuse(msg, ticket, at, state.error, { site, gateway });
    this.status.onState(site, gateway, state.value, at, msg.retain);
    const observer = this.#opts.observer;
    if (observer?.state) this.#observe(() => observer.state?.(site, gateway, state.value));
    ticket.settle();
  }

  #onTelemetry(msg: InboundMessage, ticket: Ticket, at: number, site: string, gateway: string): void {
    const batch = decodeTelemetry(msg.payload);
    if (!batch.ok) return this.#refuse(msg, ticket, at, batch.error, { site, gateway });
    const { readings, historical } = batch.value;
    let oldest = Infinity;
    let newest = -Infinity;
    const stored = readings.map((r) => {
      if (r.ts > newest) newest = r.ts;
      if (r.ts < oldest) oldest = r.ts;
      return { site, gateway, sensor: r.sensor, metric: r.metric, ts: r.ts, value: r.value, quality: r.quality };
    });
    this.status.onTelemetry(site, gateway, at, newest, historical);
    const observer = this.#opts.observer;
    if (observer?.readings) this.#observe(() => observer.readings?.(site, gateway, readings, historical));
    this.#batcher.add({
      readings: stored,
      stale: () => ticket.session !== this.#session,
      written: () => {
        this.#counts.readings += stored.length;
        ticket.settle();
        this.#late?.written(oldest, newest);
      },
      refused: (err: StoreError) => {
        const letter = { topic: msg.topic, site, gateway, payload: msg.payload, code: err.code, path: '', message: err.message, at };
        return this.#deadLetter(letter, ticket);
      },
    });
  }

  #refuse(msg: InboundMessage, ticket: Ticket, at: number, error: Refusal, ids?: { site: string; gateway: string }): void {
    const { code, path, message } = error;
    void this.#deadLetter({ topic: msg.topic, payload: msg.payload, code, path, message, at, ...ids }, ticket);
  }

  /** Keeps the letter (retrying while the dead-letter store fails), then settles the message. */
  async #deadLetter(letter: DeadLetterInput, ticket: Ticket): Promise<void> {
    const suppressed = this.#refusals.admit(letter.code);
    if (suppressed !== undefined) {
      const { topic, code, path } = letter;
      this.#log.warn({ topic, code, path, ...(suppressed > 0 ? { suppressed } : {}) }, `message refused: ${letter.message}`);
    }
    for (let attempt = 0; ; attempt++) {
      if (ticket.session !== this.#session) return; // sent again on the next connection
      try {
        await this.#opts.deadLetters.add(letter);
        this.#counts.rejected += 1;
        ticket.settle();
        return;
      } catch (err) {
        if (this.#closing) return;
        this.#log.error({ err }, 'cannot keep a dead letter; the message stays unacknowledged');
        await sleep(backoffDelay(attempt, { ...DEAD_LETTER_RETRY, ...(this.#opts.random ? { random: this.#opts.random } : {}) }));
      }
    }
  }

  #observe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, 'ingest observer failed');
    }
  }
}
