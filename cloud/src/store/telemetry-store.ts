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

/** Width of an aggregation bucket: one minute, one hour, one UTC day. */
export type AggregateEvery = '1m' | '1h' | '1d';
/** What an aggregated point's value is, over the bucket's readings. */
export type AggregateFn = 'mean' | 'min' | 'max';

/** Aggregated readings: one point per series (site, gateway, sensor, metric) and bucket, from the store's rollups. */
export interface AggregateQuery extends TelemetryQuery {
  every: AggregateEvery;
  fn: AggregateFn;
}

/**
 * One bucket of one series. Rollups leave out readings of quality `bad` (they stay in the raw data): `value` and
 * `count` are over the good and uncertain readings only; a bucket with none has no point.
 */
export interface AggregatePoint {
  /** Start of the bucket, epoch ms UTC (buckets are aligned to UTC minute, hour, day). */
  ts: number;
  site: string;
  gateway: string;
  sensor: string;
  metric: string;
  /** The mean, min or max of the bucket's readings, as asked. */
  value: number;
  /** How many readings the bucket aggregates. */
  count: number;
}

/** Which series' latest reading to return; every filter given must match exactly. */
export interface LatestQuery {
  site?: string;
  gateway?: string;
  sensor?: string;
  metric?: string;
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
  /** Creates the database, its retention policies and rollups if missing (idempotent). Call before anything else. */
  init(): Promise<void>;
  /**
   * Stores the readings, all or none as far as validation goes: an invalid reading (non-finite value, non-integer
   * ts, empty id) rejects the whole call with BAD_DATA before anything is sent. An empty array is a no-op.
   */
  write(readings: StoredReading[]): Promise<void>;
  /** Points in [from, to) matching the filters, ascending by ts, at most `limit`. */
  query(q: TelemetryQuery): Promise<TelemetryPoint[]>;
  /**
   * Aggregates in [from, to) from the rollup that fits `every` (1d from the hourly rollup), ascending by bucket then
   * series, at most `limit` points. Rollups are computed on the store's own schedule (about a minute behind for `1m`)
   * or at once by refreshRollups().
   */
  aggregate(q: AggregateQuery): Promise<AggregatePoint[]>;
  /** The latest reading (greatest ts) of every series matching the filters, in the raw data's retention. */
  latest(q: LatestQuery): Promise<TelemetryPoint[]>;
  /**
   * Recomputes every rollup bucket overlapping [from, to) from the raw readings now, idempotently. The store's own
   * schedule only revisits recent buckets: call this after writing readings older than that (a replay after an
   * outage), or in tests.
   */
  refreshRollups(from: number, to: number): Promise<void>;
  /** Probes the store (bounded by a timeout); resolves `ok: false` instead of throwing. */
  ping(): Promise<StorePing>;
  /** Waits for calls in flight, then refuses new ones with CLOSED. Idempotent. */
  close(): Promise<void>;
}
