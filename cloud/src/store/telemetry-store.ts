import type { Quality, Reading } from '@ioc/protocol';

/** A reading with the place it came from: the MQTT topic's site and gateway. */
export interface StoredReading extends Reading {
  /** Site id, from the topic the reading arrived on. */
  site: string;
  /** Gateway id, unique within its site. */
  gateway: string;
}

/** Which stored readings to return; every filter given must match exactly. */
export interface TelemetryQuery {
  site?: string;
  gateway?: string;
  sensor?: string;
  metric?: string;
  /** Start of the window, epoch ms UTC, inclusive. */
  from: number;
  /** End of the window, epoch ms UTC, exclusive. */
  to: number;
  /** Most points to return, the earliest first; default 10,000. */
  limit?: number;
}

/** One stored reading as a query returns it. */
export interface TelemetryPoint {
  /** Time of measurement, epoch ms UTC. */
  ts: number;
  site: string;
  gateway: string;
  sensor: string;
  metric: string;
  value: number;
  quality: Quality;
}

/** Result of a health probe of the store; never throws. */
export interface StorePing {
  ok: boolean;
  /** Server version, when the server said. */
  version?: string;
  /** Round trip of the probe, ms. */
  latencyMs: number;
}

/**
 * Where readings are kept. Contract (proved for every implementation by telemetryStoreContract):
 * - A point is identified by (site, gateway, sensor, metric, ts): writing it again replaces value and quality, so
 *   redelivered batches are harmless and a failed write may always be retried.
 * - Timestamps are kept to the millisecond; values as IEEE-754 doubles.
 * - Methods reject only with a StoreError (see errors.ts): `code` says what to do, `retryable` whether to retry.
 */
export interface TelemetryStore {
  /** Creates the database and its retention policy if missing (idempotent). Call before write/query. */
  init(): Promise<void>;
  /**
   * Stores the readings, all or none as far as validation goes: an invalid reading (non-finite value, non-integer
   * ts, empty id) rejects the whole call with BAD_DATA before anything is sent. An empty array is a no-op.
   */
  write(readings: StoredReading[]): Promise<void>;
  /** Points in [from, to) matching the filters, ascending by ts, at most `limit`. */
  query(q: TelemetryQuery): Promise<TelemetryPoint[]>;
  /** Probes the store (bounded by a timeout); resolves `ok: false` instead of throwing. */
  ping(): Promise<StorePing>;
  /** Waits for calls in flight, then refuses new ones with CLOSED. Idempotent. */
  close(): Promise<void>;
}
