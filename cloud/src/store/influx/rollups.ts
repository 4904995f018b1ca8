import type { QueryBody } from './results.js';
import { continuousQuery, quoteIdent, rollupSelect, type Source } from './influxql.js';
import { ROLLUPS, type RollupLevel } from './schema.js';

/** Retention and schedule of one rollup level. */
export interface RollupLevelOptions {
  /** InfluxQL duration the level's points are kept (`365d`, `INF` …). */
  duration?: string;
  /** Shard group duration; default InfluxDB's choice for `duration`. */
  shardDuration?: string;
  /**
   * How far back each continuous-query run recomputes buckets (RESAMPLE FOR), so that late readings are counted;
   * at least the bucket width. Readings later than this need refreshRollups().
   */
  resampleFor?: string;
}

/** Defaults: `1m` kept 365d, resampled over 10m; `1h` kept forever (INF), resampled over 2h. */
export interface RollupOptions {
  '1m'?: RollupLevelOptions;
  '1h'?: RollupLevelOptions;
}

interface Level {
  level: RollupLevel;
  duration: string;
  shardDuration: string | undefined;
  resampleFor: string;
}

const LEVELS: readonly RollupLevel[] = ['1m', '1h'];
const DEFAULTS: Record<RollupLevel, { duration: string; resampleFor: string }> = {
  '1m': { duration: '365d', resampleFor: '10m' },
  '1h': { duration: 'INF', resampleFor: '2h' },
};
/** Window of one backfill statement: a day of minutes, a month of hours (~1,440 and ~720 buckets per series). */
const CHUNK_MS: Record<RollupLevel, number> = { '1m': 86_400_000, '1h': 30 * 86_400_000 };
/** Backfills stay this far inside a level's retention, so InfluxDB never refuses a point as too old. */
const RETENTION_MARGIN_MS = 3_600_000;
const DURATION = /^(INF|(\d+(ns|us|u|µ|ms|s|m|h|d|w))+)$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, u: 1e-3, µ: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };

/** Runs one InfluxQL statement (POST /query), rejecting with a StoreError on any error. */
export type StatementRunner = (q: string) => Promise<QueryBody>;

/** A retention policy to create or alter. */
export interface PolicySpec {
  name: string;
  duration: string;
  shardDuration?: string;
}

/**
 * The rollup half of the schema: the `rollup_1m` and `rollup_1h` policies, their continuous queries, and backfills
 * (SELECT … INTO over a window, the CQ's own statement) for readings the CQs' schedule did not see.
 */
export class Rollups {
  private readonly levels: Level[];

  constructor(
    private readonly src: Source,
    opts: RollupOptions,
    private readonly run: StatementRunner,
    private readonly now: () => number = Date.now,
  ) {
    this.levels = LEVELS.map((level) => {
      const o = opts[level] ?? {};
      const l: Level = {
        level,
        duration: o.duration ?? DEFAULTS[level].duration,
        shardDuration: o.shardDuration,
        resampleFor: o.resampleFor ?? DEFAULTS[level].resampleFor,
      };
      checkDuration(`rollups.${level}.duration`, l.duration);
      if (l.shardDuration !== undefined) checkDuration(`rollups.${level}.shardDuration`, l.shardDuration);
      checkDuration(`rollups.${level}.resampleFor`, l.resampleFor);
      if (l.resampleFor === 'INF' || durationMs(l.resampleFor) < ROLLUPS[level].bucketMs) {
        throw new RangeError(`rollups.${level}.resampleFor: must be a finite duration of at least ${level}`);
      }
      return l;
    });
  }

  /**
   * Creates (or alters) the rollup policies; if a continuous query is new, backfills its rollup from the raw data
   * already stored — before the raw policy `raw` is created or altered (which may shorten it) — then creates the
   * continuous queries.
   */
  async init(raw: PolicySpec): Promise<void> {
    for (const l of this.levels) {
      const spec = { name: ROLLUPS[l.level].retentionPolicy, duration: l.duration, ...(l.shardDuration ? { shardDuration: l.shardDuration } : {}) };
      await ensureRetentionPolicy(this.run, this.src.database, spec, false);
    }
    const existing = await this.continuousQueryNames();
    const fresh = this.levels.filter((l) => !existing.has(ROLLUPS[l.level].cq));
    if (fresh.length > 0) await this.backfill(fresh);
    await ensureRetentionPolicy(this.run, this.src.database, raw, true); // a CQ needs its source policy
    for (const l of this.levels) await this.ensureContinuousQuery(l);
  }

  /** Recomputes every bucket of every level overlapping [from, to), within each level's retention. */
  async refresh(from: number, to: number, levels: Level[] = this.levels): Promise<void> {
    for (const l of levels) {
      const bucket = ROLLUPS[l.level].bucketMs;
      let start = Math.floor(from / bucket) * bucket;
      const end = Math.ceil(to / bucket) * bucket;
      if (l.duration !== 'INF') {
        const oldest = this.now() - durationMs(l.duration) + RETENTION_MARGIN_MS;
        start = Math.max(start, Math.ceil(oldest / bucket) * bucket);
      }
      for (let a = start; a < end; a += CHUNK_MS[l.level]) {
        await this.run(rollupSelect(l.level, this.src, { from: a, to: Math.min(a + CHUNK_MS[l.level], end) }));
      }
    }
  }

  /** Rolls up all raw data already stored (from its oldest point to now), for the given levels. */
  private async backfill(levels: Level[]): Promise<void> {
    const oldest = await this.oldestRawPoint();
    if (oldest === undefined) return;
    await this.refresh(oldest, this.now() + ROLLUPS['1h'].bucketMs, levels);
  }

  private async oldestRawPoint(): Promise<number | undefined> {
    const policies = await this.run(`SHOW RETENTION POLICIES ON ${quoteIdent(this.src.database)}`);
    const names = policies.results?.[0]?.series?.[0]?.values?.map((row) => row[0]) ?? [];
    if (!names.includes(this.src.retentionPolicy)) return undefined;
    const from = [this.src.database, this.src.retentionPolicy, 'telemetry'].map(quoteIdent).join('.');
    const body = await this.run(`SELECT first("value") FROM ${from}`);
    const time = body.results?.[0]?.series?.[0]?.values?.[0]?.[0];
    return typeof time === 'number' ? time : undefined;
  }

  private async continuousQueryNames(): Promise<Set<string>> {
    const body = await this.run('SHOW CONTINUOUS QUERIES');
    const mine = body.results?.[0]?.series?.find((s) => (s as { name?: string }).name === this.src.database);
    return new Set((mine?.values ?? []).map((row) => String(row[0])));
  }

  /** CREATE succeeds if an identical CQ exists and fails if it differs (there is no ALTER): then replace it. */
  private async ensureContinuousQuery(l: Level): Promise<void> {
    const create = continuousQuery(l.level, this.src, l.resampleFor);
    try {
      await this.run(create);
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('continuous query already exists'))) throw err;
      await this.run(`DROP CONTINUOUS QUERY ${quoteIdent(ROLLUPS[l.level].cq)} ON ${quoteIdent(this.src.database)}`);
      await this.run(create);
    }
  }
}

/** Creates the policy, or ALTERs it to match when one of that name differs; optionally the database's default. */
export async function ensureRetentionPolicy(run: StatementRunner, database: string, rp: PolicySpec, isDefault: boolean): Promise<void> {
  const db = quoteIdent(database);
  const shard = rp.shardDuration === undefined ? '' : ` SHARD DURATION ${rp.shardDuration}`;
  const spec = `DURATION ${rp.duration} REPLICATION 1${shard}${isDefault ? ' DEFAULT' : ''}`;
  try {
    await run(`CREATE RETENTION POLICY ${quoteIdent(rp.name)} ON ${db} ${spec}`);
  } catch (err) {
    // CREATE succeeds if an identical policy exists and fails if it differs: then make it match the options.
    if (!(err instanceof Error && err.message.includes('retention policy already exists'))) throw err;
    await run(`ALTER RETENTION POLICY ${quoteIdent(rp.name)} ON ${db} ${spec}`);
  }
}

/** Throws RangeError naming `name` unless `value` is an InfluxQL duration literal or INF. */
export function checkDuration(name: string, value: string): void {
  if (!DURATION.test(value)) {
    const got = JSON.stringify(value);
    throw new RangeError(`${name}: must be an InfluxQL duration such as 30d, 52w or INF (got ${got})`);
  }
}

/** Milliseconds of a checked InfluxQL duration (`1h30m` → 5,400,000); INF is Infinity. */
export function durationMs(value: string): number {
  if (value === 'INF') return Number.POSITIVE_INFINITY;
  let ms = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)(ns|us|u|µ|ms|s|m|h|d|w)/g)) ms += Number(n) * (UNIT_MS[unit ?? 'ms'] ?? 0);
  return ms;
}
