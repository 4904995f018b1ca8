import type { AggregateQuery, LatestQuery, TelemetryQuery } from '../telemetry-store.js';
import {
  MEASUREMENT,
  QUALITY_FIELD,
  ROLLUP_QUALITY_BELOW,
  ROLLUPS,
  TAG_KEYS,
  VALUE_FIELD,
  type RollupLevel,
} from './schema.js';

/**
 * A double-quoted InfluxQL identifier. The InfluxQL scanner reads `\"` and `\\` inside quotes and refuses a raw
 * newline, so those are the escapes applied; a newline (never in our names) is refused here.
 */
export function quoteIdent(name: string): string {
  if (/[\n\r]/.test(name)) throw new RangeError(`InfluxQL identifier must not contain a line break: ${JSON.stringify(name)}`);
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * A single-quoted InfluxQL string literal: `\\`, `\'` and `\n` escaped. A carriage return has no escape in InfluxQL
 * and makes the scanner fail, so it is refused (RangeError); callers filter such values out beforehand.
 */
export function quoteString(value: string): string {
  if (value.includes('\r')) throw new RangeError('InfluxQL string must not contain a carriage return');
  return `'${value.replace(/[\\'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}'`;
}

/** Where the points live: `"db"."rp"."telemetry"`. */
export interface Source {
  database: string;
  retentionPolicy: string;
}

/** Columns of the SELECT, in result order after `time`. */
export const SELECTED_COLUMNS = [VALUE_FIELD, QUALITY_FIELD, ...TAG_KEYS] as const;

/**
 * The SELECT for a TelemetryQuery: every user-supplied string goes through quoteString, numbers are checked
 * integers, so no input can change the statement's shape. `from`/`to`/`limit` must have been validated.
 */
export function selectStatement(q: TelemetryQuery & { limit: number }, src: Source): string {
  const conditions = [...windowConditions(q), ...tagConditions(q)];
  const columns = SELECTED_COLUMNS.map(quoteIdent).join(', ');
  return `SELECT ${columns} FROM ${rawSource(src)} WHERE ${conditions.join(' AND ')} ORDER BY time ASC LIMIT ${integer(q.limit)}`;
}

/** Aggregate functions a query may ask for; each is also the name of a rollup field. */
export const AGGREGATE_FNS: readonly string[] = ['mean', 'min', 'max'];

/** Columns an aggregate result carries besides time and the tags: the asked value, and the readings counted. */
export const AGGREGATE_COLUMNS = ['value', 'count'] as const;

/**
 * The SELECT for an AggregateQuery: `1m` and `1h` read the rollup's points as they are (tags as columns, one global
 * LIMIT); `1d` groups the hourly rollup by UTC day, weighing means by count (sum(sum) / sum(count)); its LIMIT is
 * per series, so the caller merges and cuts.
 */
export function aggregateStatement(q: AggregateQuery & { limit: number }, database: string): string {
  if (!AGGREGATE_FNS.includes(q.fn)) throw new RangeError(`fn: must be one of ${AGGREGATE_FNS.join(', ')}`);
  if (!['1m', '1h', '1d'].includes(q.every)) throw new RangeError('every: must be one of 1m, 1h, 1d');
  const level: RollupLevel = q.every === '1m' ? '1m' : '1h';
  const conditions = [...windowConditions(q), ...tagConditions(q)].join(' AND ');
  const from = rollupSource(database, level);
  if (q.every !== '1d') {
    const columns = [`${quoteIdent(q.fn)} AS "value"`, '"count"', ...TAG_KEYS.map(quoteIdent)].join(', ');
    return `SELECT ${columns} FROM ${from} WHERE ${conditions} ORDER BY time ASC LIMIT ${integer(q.limit)}`;
  }
  const value = q.fn === 'mean' ? 'sum("sum") / sum("count")' : `${q.fn}(${quoteIdent(q.fn)})`;
  const tags = TAG_KEYS.map(quoteIdent).join(', ');
  return (
    `SELECT ${value} AS "value", sum("count") AS "count" FROM ${from} WHERE ${conditions} ` +
    `GROUP BY time(1d), ${tags} fill(none) ORDER BY time ASC LIMIT ${integer(q.limit)}`
  );
}

/** The latest point of every series matching the filters (the selector keeps `q` of the same point). */
export function latestStatement(q: LatestQuery, src: Source): string {
  const conditions = tagConditions(q);
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const tags = TAG_KEYS.map(quoteIdent).join(', ');
  return `SELECT last(${quoteIdent(VALUE_FIELD)}) AS "value", ${quoteIdent(QUALITY_FIELD)} FROM ${rawSource(src)}${where} GROUP BY ${tags}`;
}

/**
 * The rollup of one level over the raw data: mean, min, max, count and sum of `value` per series and bucket, leaving
 * out bad readings, INTO the level's measurement. `window` bounds it (a backfill); without it, it is a CQ's body.
 */
export function rollupSelect(level: RollupLevel, src: Source, window?: { from: number; to: number }): string {
  const v = quoteIdent(VALUE_FIELD);
  const fields = ['mean', 'min', 'max', 'count', 'sum'].map((fn) => `${fn}(${v}) AS ${quoteIdent(fn)}`).join(', ');
  const conditions = [`${quoteIdent(QUALITY_FIELD)} < ${ROLLUP_QUALITY_BELOW}`];
  if (window) conditions.push(...windowConditions(window));
  return (
    `SELECT ${fields} INTO ${rollupSource(src.database, level)} FROM ${rawSource(src)} ` +
    `WHERE ${conditions.join(' AND ')} GROUP BY time(${level}), *`
  );
}

/** CREATE CONTINUOUS QUERY for one rollup level: runs every bucket, recomputing the buckets of the last `resampleFor`. */
export function continuousQuery(level: RollupLevel, src: Source, resampleFor: string): string {
  const { cq } = ROLLUPS[level];
  return (
    `CREATE CONTINUOUS QUERY ${quoteIdent(cq)} ON ${quoteIdent(src.database)} ` +
    `RESAMPLE EVERY ${level} FOR ${resampleFor} BEGIN ${rollupSelect(level, src)} END`
  );
}

function rawSource(src: Source): string {
  return [src.database, src.retentionPolicy, MEASUREMENT].map(quoteIdent).join('.');
}

function rollupSource(database: string, level: RollupLevel): string {
  const { retentionPolicy, measurement } = ROLLUPS[level];
  return [database, retentionPolicy, measurement].map(quoteIdent).join('.');
}

function windowConditions(w: { from: number; to: number }): string[] {
  return [`time >= ${integer(w.from)}ms`, `time < ${integer(w.to)}ms`];
}

function tagConditions(q: Partial<Record<(typeof TAG_KEYS)[number], string>>): string[] {
  const conditions: string[] = [];
  for (const key of TAG_KEYS) {
    const value = q[key];
    if (value !== undefined) conditions.push(`${quoteIdent(key)} = ${quoteString(value)}`);
  }
  return conditions;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected a safe integer, got ${n}`);
  return String(n);
}
