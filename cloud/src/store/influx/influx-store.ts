/**
 * TelemetryStore on InfluxDB 1.x, over its HTTP API only (/ping, /write, /query).
 *
 * Schema (see ../README.md for the reasons):
 *   database          `ioc` (option `database`), retention policy `raw` 730d, the database's DEFAULT (option)
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
import type { StoredReading, StorePing, TelemetryPoint, TelemetryQuery, TelemetryStore } from '../telemetry-store.js';
import { storeError, StoreErrorCode } from '../errors.js';
import { exchange, statusError } from './http.js';
import { quoteIdent, selectStatement } from './influxql.js';
import { encodeReadings, tagValueProblem } from './line-protocol.js';
import { parseQueryAnswer, pointsOf, type QueryBody } from './results.js';
import { TAG_KEYS } from './schema.js';

/** A retention policy: how long raw readings are kept. */
export interface RetentionPolicyOptions {
  /** Policy name; default `raw`. */
  name: string;
  /** InfluxQL duration (`730d`, `52w`, `INF`; at least 1h); default `730d`. Lowering it deletes older data. */
  duration: string;
  /** Shard group duration (InfluxQL duration); default: InfluxDB's choice for `duration` (7d above 6 months). */
  shardDuration?: string;
}

export interface InfluxStoreOptions {
  /** Base URL of the InfluxDB 1.x HTTP API, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** Database name; default `ioc`. */
  database?: string;
  /** Created (or altered to match) by init() and made the database's default. */
  retentionPolicy?: RetentionPolicyOptions;
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
export const DEFAULT_RETENTION_POLICY: Readonly<RetentionPolicyOptions> = { name: 'raw', duration: '730d' };
const DEFAULT_LIMIT = 10_000;
const DURATION = /^(INF|(\d+(ns|us|u|µ|ms|s|m|h|d|w))+)$/;

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
  }

  init(): Promise<void> {
    return this.track(async () => {
      const db = quoteIdent(this.database);
      await this.statement(`CREATE DATABASE ${db}`);
      const { name, duration, shardDuration } = this.rp;
      const shard = shardDuration === undefined ? '' : ` SHARD DURATION ${shardDuration}`;
      const spec = `DURATION ${duration} REPLICATION 1${shard} DEFAULT`;
      try {
        await this.statement(`CREATE RETENTION POLICY ${quoteIdent(name)} ON ${db} ${spec}`);
      } catch (err) {
        // CREATE succeeds if an identical policy exists and fails if it differs: then make it match the options.
        if (!(err instanceof Error && err.message.includes('retention policy already exists'))) throw err;
        await this.statement(`ALTER RETENTION POLICY ${quoteIdent(name)} ON ${db} ${spec}`);
      }
    });
  }

  write(readings: StoredReading[]): Promise<void> {
    return this.track(async () => {
      if (readings.length === 0) return;
      const body = encodeReadings(readings);
      const url = this.endpoint('/write', { db: this.database, rp: this.rp.name, precision: 'ms' });
      const headers = { ...this.headers, 'content-type': 'text/plain; charset=utf-8' };
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
      // A filter value that could never have been stored (empty, control characters) matches nothing.
      const unstorable = TAG_KEYS.some((key) => q[key] !== undefined && tagValueProblem(q[key]) !== undefined);
      if (q.from === q.to || unstorable) return [];
      const source = { database: this.database, retentionPolicy: this.rp.name };
      return pointsOf(await this.run(selectStatement({ ...q, limit }, source), 'GET'));
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

function checkWindow(q: TelemetryQuery, limit: number): void {
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

function checkDuration(name: string, value: string): void {
  if (!DURATION.test(value)) {
    const got = JSON.stringify(value);
    throw new RangeError(`${name}: must be an InfluxQL duration such as 730d, 52w or INF (got ${got})`);
  }
}

function nonEmpty(name: string, value: string): string {
  if (value === '' || /[\n\r]/.test(value)) throw new RangeError(`${name}: must be a non-empty single-line string`);
  return value;
}

function positive(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`${name}: must be a positive number of ms`);
  return ms;
}
