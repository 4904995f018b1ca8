import type { Quality } from '@ioc/protocol';

/** The one measurement every reading goes to. */
export const MEASUREMENT = 'telemetry';

/** Tag keys, in the (sorted) order they are written: InfluxDB sorts them anyway, sorted input saves it the work. */
export const TAG_KEYS = ['gateway', 'metric', 'sensor', 'site'] as const;
export type TagKey = (typeof TAG_KEYS)[number];

/** Field holding the reading's value (float). */
export const VALUE_FIELD = 'value';
/** Field holding the reading's quality as an integer code (see QUALITY_CODE). */
export const QUALITY_FIELD = 'q';

/** Quality as stored in the `q` field. Append-only: codes are on disk. */
export const QUALITY_CODE = { good: 0, uncertain: 1, bad: 2 } as const satisfies Record<Quality, number>;

/**
 * Quality of a stored code. A point without `q` (written by something else) is `good`, as an absent quality is on
 * the wire; a code this version does not know is `uncertain`, never silently `good`.
 */
export function qualityOfCode(code: unknown): Quality {
  if (code === null || code === undefined) return 'good';
  for (const [quality, value] of Object.entries(QUALITY_CODE)) if (value === code) return quality as Quality;
  return 'uncertain';
}

/** Rollup levels the store keeps, by bucket width. */
export type RollupLevel = '1m' | '1h';

/** Where each rollup lives, and the continuous query that fills it. Names are on disk: never rename. */
export const ROLLUPS: Readonly<Record<RollupLevel, { retentionPolicy: string; measurement: string; cq: string; bucketMs: number }>> = {
  '1m': { retentionPolicy: 'rollup_1m', measurement: 'telemetry_1m', cq: 'cq_telemetry_1m', bucketMs: 60_000 },
  '1h': { retentionPolicy: 'rollup_1h', measurement: 'telemetry_1h', cq: 'cq_telemetry_1h', bucketMs: 3_600_000 },
};

/**
 * Fields of a rollup point, over the readings of one series in one bucket whose quality is not bad (`q` < 2):
 * mean, min, max and sum (float) of `value`, and count (integer). `sum` lets coarser buckets weigh means exactly
 * (a day's mean is sum(sum) / sum(count) over its hours).
 */
export const ROLLUP_FIELDS = ['mean', 'min', 'max', 'count', 'sum'] as const;

/** Quality codes at or above this are left out of rollups (bad readings are kept raw only). */
export const ROLLUP_QUALITY_BELOW = QUALITY_CODE.bad;
