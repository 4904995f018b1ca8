import type { StoredReading } from '../telemetry-store.js';
import { storeError, StoreErrorCode, type RejectedReading } from '../errors.js';
import { MEASUREMENT, QUALITY_CODE, QUALITY_FIELD, TAG_KEYS, VALUE_FIELD } from './schema.js';

// InfluxDB stores int64 nanoseconds: in ms, everything within ±(2^63 - 2) ns is writable.
const MAX_TS_MS = 9_223_372_036_854;
const MIN_TS_MS = -9_223_372_036_854;

/** How many refused readings an error message lists (the error's `rejected` property lists all). */
const REASONS_IN_MESSAGE = 5;

/**
 * Escapes a tag value for line protocol 1.x: comma, space and equals sign get a backslash. Values that cannot be
 * represented (backslash — 1.x reads `\,` `\ ` `\=` as escapes and has no escape for a backslash itself — or control
 * characters such as a newline, which ends the line) are refused by validateReading before this is called.
 */
export function escapeTagValue(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}

/** Why a tag value cannot be stored, or undefined if it can. */
export function tagValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string (got ${typeof value})`;
  if (value === '') return 'must not be empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return 'must not contain control characters or a backslash';
  return undefined;
}

/** Why a reading cannot be stored (`field: reason`), or undefined if it can. */
export function readingProblem(r: StoredReading): string | undefined {
  for (const key of TAG_KEYS) {
    const problem = tagValueProblem(r[key]);
    if (problem !== undefined) return `${key}: ${problem}`;
  }
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return `value: must be a finite number (got ${String(r.value)})`;
  if (!Number.isSafeInteger(r.ts)) return `ts: must be an integer number of ms (got ${String(r.ts)})`;
  if (r.ts < MIN_TS_MS || r.ts > MAX_TS_MS) return `ts: outside the range InfluxDB can store (got ${r.ts})`;
  if (!Object.hasOwn(QUALITY_CODE, r.quality)) return `quality: must be good, uncertain or bad (got ${String(r.quality)})`;
  return undefined;
}

/**
 * One line per reading, `telemetry,gateway=…,metric=…,sensor=…,site=… value=<float>,q=<int>i <ts ms>`, for
 * /write?precision=ms. Validates the whole batch first: if any reading is invalid, throws BAD_DATA listing every
 * refused reading, and nothing should be sent.
 */
export function encodeReadings(readings: readonly StoredReading[]): string {
  const rejected: RejectedReading[] = [];
  readings.forEach((r, index) => {
    const reason = readingProblem(r);
    if (reason !== undefined) rejected.push({ index, reason });
  });
  if (rejected.length > 0) throw invalidBatch(rejected);
  return readings.map(encodeReading).join('\n');
}

function encodeReading(r: StoredReading): string {
  const tags = TAG_KEYS.map((key) => `,${key}=${escapeTagValue(r[key])}`).join('');
  // String(number) of a finite double is a valid line-protocol float (`1e+21`, `5e-324`, `-0` included), and a
  // value without the `i` suffix is always a float, so `20` and `20.5` land in the same float field.
  return `${MEASUREMENT}${tags} ${VALUE_FIELD}=${String(r.value)},${QUALITY_FIELD}=${QUALITY_CODE[r.quality]}i ${r.ts}`;
}

function invalidBatch(rejected: RejectedReading[]): Error {
  const listed = rejected.slice(0, REASONS_IN_MESSAGE).map((r) => `readings[${r.index}].${r.reason}`);
  const more = rejected.length > REASONS_IN_MESSAGE ? `; and ${rejected.length - REASONS_IN_MESSAGE} more` : '';
  return storeError(StoreErrorCode.BAD_DATA, `invalid readings, nothing written: ${listed.join('; ')}${more}`, {
    rejected,
  });
}
