import type { TelemetryQuery } from '../telemetry-store.js';
import { MEASUREMENT, QUALITY_FIELD, TAG_KEYS, VALUE_FIELD } from './schema.js';

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
  const conditions = [`time >= ${integer(q.from)}ms`, `time < ${integer(q.to)}ms`];
  for (const key of TAG_KEYS) {
    const value = q[key];
    if (value !== undefined) conditions.push(`${quoteIdent(key)} = ${quoteString(value)}`);
  }
  const from = [src.database, src.retentionPolicy, MEASUREMENT].map(quoteIdent).join('.');
  const columns = SELECTED_COLUMNS.map(quoteIdent).join(', ');
  return `SELECT ${columns} FROM ${from} WHERE ${conditions.join(' AND ')} ORDER BY time ASC LIMIT ${integer(q.limit)}`;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected a safe integer, got ${n}`);
  return String(n);
}
