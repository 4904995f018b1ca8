/**
 * TelemetryStore on InfluxDB 1.x, over its HTTP API only (/ping, /write, /query).
 *
 * Schema (see docs/influxdb-schema.md and ../README.md for the reasons):
 *   database          `ioc` (option `database`), retention policy `raw` 30d, the database's DEFAULT (option)
 *   rollups           `rollup_1m`.`telemetry_1m` (365d) and `rollup_1h`.`telemetry_1h` (INF), filled by continuous
 *                     queries: mean, min, max, count, sum of value per series and bucket, bad readings left out
 *   measurement       `telemetry`
 *   tags              gateway, metric, sensor, site      (ids; together with time they identify a point)
 *   fields            value (float)                      the reading's value
 *                     q     (integer)                    quality: 0 good, 1 uncertain, 2 bad
 *   time              the reading's ts, written and read with millisecond precision
 *
 * Idempotence: InfluxDB identifies a point by measurement + tag set + time, so writing the same
 * (site, gateway, sensor, metric, ts) again overwrites value and q: one point, the last write wins.
 *
 * Writes are raw line protocol (POST /write?precision=ms), one request per write() call; queries are InfluxQL
 * (GET /query?epoch=ms) built only from escaped strings and checked integers. Every request has a timeout.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type {
  AggregatePoint,
  AggregateQuery,
  LatestQuery,
  StoredReading,
  StorePing,
  TelemetryPoint,
  TelemetryQuery,
  TelemetryStore,
} from '../telemetry-store.js';
import { storeError, StoreErrorCode } from '../errors.js';
import { exchange, statusError } from './http.js';
import { AGGREGATE_FNS, aggregateStatement, latestStatement, quoteIdent, selectStatement } from './influxql.js';
import { encodeReadingsToBuffer, tagValueProblem } from './line-protocol.js';
import { aggregatePointsOf, latestPointsOf, parseQueryAnswer, pointsOf, type QueryBody } from './results.js';
import { checkDuration, Rollups, type RollupOptions } from './rollups.js';
import { TAG_KEYS } from './schema.js';

const gzip = promisify(gzipCallback);

/** A retention policy: how long raw readings are kept. */
export interface RetentionPolicyOptions {
  /** Policy name; default `raw`. */
  name: string;
  /**
   * InfluxQL duration (`30d`, `52w`, `INF`; at least 1h); default `30d`. Lowering it deletes older data, and InfluxDB
   * refuses (HTTP 400, dead-lettered by ingest) readings older than it.
   */
  duration: string;
  /** Shard group duration (InfluxQL duration); default: InfluxDB's choice for `duration` (7d above 6 months). */
  shardDuration?: string;
}

export interface InfluxStoreOptions {
  /** Base URL of the InfluxDB 1.x HTTP API, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** Database name; default `ioc`. */
  database?: string;
  /** Raw readings' policy, created (or altered to match) by init() and made the database's default. */
  retentionPolicy?: RetentionPolicyOptions;
  /** Retention and schedule of the 1-minute and 1-hour rollups (see RollupOptions for the defaults). */
  rollups?: RollupOptions;
  /** Gzip write bodies (`Content-Encoding: gzip`, which 1.x accepts on /write); default true. */
  gzip?: boolean;
  /** Credentials, sent as HTTP Basic auth, when the server has auth-enabled. */
  username?: string;
  password?: string;
  /** Timeout of one /write request, body included; default 30,000 ms. */
  writeTimeoutMs?: number;
  /** Timeout of one /query request; default 30,000 ms. */
  queryTimeoutMs?: number;
  /** Timeout of a /ping; default 5,000 ms. */
  pingTimeoutMs?: number;
}

export const DEFAULT_DATABASE = 'ioc';
export const DEFAULT_RETENTION_POLICY: Readonly<RetentionPolicyOptions> = { name: 'raw', duration: '30d' };
const DEFAULT_LIMIT = 10_000;
/** gzip level of write bodies: level 1 compresses line protocol ~15× in ~0.6 ms per 5,000 lines. */
const GZIP_LEVEL = 1;
/** zlib output chunk: one or two rounds through the thread pool per batch instead of a dozen. */
const GZIP_CHUNK_BYTES = 256 * 1024;

/** A TelemetryStore on InfluxDB 1.x. Throws RangeError at once for invalid options. */
export function createInfluxStore(opts: InfluxStoreOptions): TelemetryStore {
  return new InfluxStore(opts);
}

class InfluxStore implements TelemetryStore {
  private readonly base: string;
  private readonly database: string;
  private readonly rp: RetentionPolicyOptions;
  private readonly headers: Record<string, string>;
  private readonly timeouts: { write: number; query: number; ping: number };
  private readonly gzip: boolean;
  private readonly rollups: Rollups;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(opts: InfluxStoreOptions) {
    this.base = new URL(opts.url).href.replace(/\/+$/, '');
    this.database = nonEmpty('database', opts.database ?? DEFAULT_DATABASE);
    this.rp = checkRetentionPolicy(opts.retentionPolicy ?? DEFAULT_RETENTION_POLICY);
    this.headers =
      opts.username === undefined
        ? {}
        : { authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}` };
    this.timeouts = {
      write: positive('writeTimeoutMs', opts.writeTimeoutMs ?? 30_000),
      query: positive('queryTimeoutMs', opts.queryTimeoutMs ?? 30_000),
      ping: positive('pingTimeoutMs', opts.pingTimeoutMs ?? 5_000),
    };
    this.gzip = opts.gzip ?? true;
    this.rollups = new Rollups(
      { database: this.database, retentionPolicy: this.rp.name },
      opts.rollups ?? {},
      (q) => this.run(q, 'POST'),
    );
  }

  /**
   * CREATE DATABASE, the rollups' policies, a one-time backfill of the rollups from raw data written before they
   * existed (so that shortening the raw policy below loses nothing already stored), the continuous queries, and the
   * raw policy as the default. Idempotent.
   */
  init(): Promise<void> {
    return this.track(async () => {
      await this.statement(`CREATE DATABASE ${quoteIdent(this.database)}`);
      await this.rollups.init(this.rp);
    });
  }

  write(readings: StoredReading[]): Promise<void> {
    return this.track(async () => {
      if (readings.length === 0) return;
      const lines = encodeReadingsToBuffer(readings);
      const url = this.endpoint('/write', { db: this.database, rp: this.rp.name, precision: 'ms' });
      const headers: Record<string, string> = { ...this.headers, 'content-type': 'text/plain; charset=utf-8' };
      let body = lines;
      if (this.gzip) {
        body = await gzip(lines, { level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES });
        headers['content-encoding'] = 'gzip';
      }
      const init = { method: 'POST', body, headers };
      const answer = await exchange('InfluxDB write', url, init, this.timeouts.write);
      if (answer.status < 200 || answer.status > 299) {
        throw statusError('InfluxDB write', answer, StoreErrorCode.BAD_DATA);
      }
    });
  }

  query(q: TelemetryQuery): Promise<TelemetryPoint[]> {
    return this.track(async () => {
      const limit = q.limit ?? DEFAULT_LIMIT;
      checkWindow(q, limit);
      if (q.from === q.to || unstorableFilter(q)) return [];
      const source = { database: this.database, retentionPolicy: this.rp.name };
      return pointsOf(await this.run(selectStatement({ ...q, limit }, source), 'GET'));
    });
  }

  aggregate(q: AggregateQuery): Promise<AggregatePoint[]> {
    return this.track(async () => {
      const limit = q.limit ?? DEFAULT_LIMIT;
      checkWindow(q, limit);
      if (!AGGREGATE_FNS.includes(q.fn) || !['1m', '1h', '1d'].includes(q.every)) {
        throw storeError(StoreErrorCode.BAD_QUERY, `invalid query: every ${String(q.every)}, fn ${String(q.fn)}`);
      }
      if (q.from === q.to || unstorableFilter(q)) return [];
      const points = aggregatePointsOf(await this.run(aggregateStatement({ ...q, limit }, this.database), 'GET'));
      return points.slice(0, limit); // 1d's LIMIT is per series
    });
  }

  latest(q: LatestQuery): Promise<TelemetryPoint[]> {
    return this.track(async () => {
      if (unstorableFilter(q)) return [];
      const source = { database: this.database, retentionPolicy: this.rp.name };
      return latestPointsOf(await this.run(latestStatement(q, source), 'GET'));
    });
  }

  refreshRollups(from: number, to: number): Promise<void> {
    return this.track(async () => {
      checkWindow({ from, to }, 1);
      await this.rollups.refresh(from, to);
    });
  }

  async ping(): Promise<StorePing> {
    const started = performance.now();
    const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
    if (this.closed) return { ok: false, latencyMs: 0 };
    try {
      const url = this.endpoint('/ping', {});
      const answer = await exchange('InfluxDB ping', url, { headers: this.headers }, this.timeouts.ping);
      const version = answer.headers.get('x-influxdb-version');
      return { ok: answer.status === 204, ...(version ? { version } : {}), latencyMs: latencyMs() };
    } catch {
      return { ok: false, latencyMs: latencyMs() };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs `fn` unless closed, remembering it until settled so close() can wait for it. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(storeError(StoreErrorCode.CLOSED, 'the telemetry store is closed'));
    const call = fn();
    this.inFlight.add(call);
    const forget = () => void this.inFlight.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** Runs one InfluxQL statement that returns nothing (DDL). */
  private async statement(q: string): Promise<void> {
    await this.run(q, 'POST');
  }

  /** Runs one InfluxQL statement; statement errors become StoreErrors, like HTTP errors. */
  private async run(q: string, method: 'GET' | 'POST'): Promise<QueryBody> {
    const params = { db: this.database, q, epoch: 'ms' };
    const url = this.endpoint('/query', method === 'GET' ? params : {});
    const init =
      method === 'GET' ? { headers: this.headers } : { method, headers: this.headers, body: new URLSearchParams(params) };
    const answer = await exchange('InfluxDB query', url, init, this.timeouts.query);
    if (answer.status < 200 || answer.status > 299) {
      throw statusError('InfluxDB query', answer, StoreErrorCode.BAD_QUERY);
    }
    return parseQueryAnswer(answer.text);
  }

  private endpoint(path: string, params: Record<string, string>): URL {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  }
}

/** A filter value that could never have been stored (empty, control characters) matches nothing. */
function unstorableFilter(q: LatestQuery): boolean {
  return TAG_KEYS.some((key) => q[key] !== undefined && tagValueProblem(q[key]) !== undefined);
}

function checkWindow(q: { from: number; to: number }, limit: number): void {
  const problem = !Number.isSafeInteger(q.from)
    ? `from: must be an integer epoch ms (got ${q.from})`
    : !Number.isSafeInteger(q.to)
      ? `to: must be an integer epoch ms (got ${q.to})`
      : q.from > q.to
        ? `from: must not be after to (${q.from} > ${q.to})`
        : !Number.isSafeInteger(limit) || limit < 1
          ? `limit: must be a positive integer (got ${limit})`
          : undefined;
  if (problem !== undefined) throw storeError(StoreErrorCode.BAD_QUERY, `invalid query: ${problem}`);
}

function checkRetentionPolicy(rp: RetentionPolicyOptions): RetentionPolicyOptions {
  nonEmpty('retentionPolicy.name', rp.name);
  checkDuration('retentionPolicy.duration', rp.duration);
  if (rp.shardDuration !== undefined) checkDuration('retentionPolicy.shardDuration', rp.shardDuration);
  return { ...rp };
}

function nonEmpty(name: string, value: string): string {
  if (value === '' || /[\n\r]/.test(value)) throw new RangeError(`${name}: must be a non-empty single-line string`);
  return value;
}

function positive(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`${name}: must be a positive number of ms`);
  return ms;
}
