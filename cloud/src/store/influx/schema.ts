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
