/**
 * US EPA AQI, 2024 revision (EPA-454/B-24-002, Table 6; in force from 2024-05-06), for deployments that want it.
 * The table is copied from ../shared/domain/AIR-QUALITY.md as written there (decimal strings, so it reads like
 * the source).
 *
 * Contract: the concentration is first truncated to the table's resolution (PM2.5 and CO to 0.1, PM10, SO2 and NO2
 * to 1, O3 to 0.001 ppm; the table's bands are contiguous at exactly that resolution), then
 * AQI = (I_hi − I_lo)/(BP_hi − BP_lo)·(C − BP_lo) + I_lo, rounded to the nearest integer (half up, decided exactly).
 * Above the last row → null ("Beyond the AQI"; for O3 8h that is above 0.200 ppm, where the table has no row).
 * Negative, NaN or infinite → null.
 */
import { ratioOf, roundHalfUp, truncateTo } from './exact.js';

/** Pollutants of the EPA table, with their units: PM in µg/m³, O3 8h and CO in ppm, SO2 and NO2 in ppb. */
export type EpaPollutant = 'pm25' | 'pm10' | 'o3_8h' | 'co' | 'so2' | 'no2';

/** [I_lo, I_hi] of each row. */
const EPA_I: readonly (readonly [number, number])[] = [
  [0, 50],
  [51, 100],
  [101, 150],
  [151, 200],
  [201, 300],
  [301, 500],
];

/** Rows [BP_lo, BP_hi] per pollutant, as in the table. */
const EPA_TABLE: Readonly<Record<EpaPollutant, readonly (readonly [string, string])[]>> = {
  pm25: [['0.0', '9.0'], ['9.1', '35.4'], ['35.5', '55.4'], ['55.5', '125.4'], ['125.5', '225.4'], ['225.5', '325.4']],
  pm10: [['0', '54'], ['55', '154'], ['155', '254'], ['255', '354'], ['355', '424'], ['425', '604']],
  o3_8h: [['0.000', '0.054'], ['0.055', '0.070'], ['0.071', '0.085'], ['0.086', '0.105'], ['0.106', '0.200']],
  co: [['0.0', '4.4'], ['4.5', '9.4'], ['9.5', '12.4'], ['12.5', '15.4'], ['15.5', '30.4'], ['30.5', '50.4']],
  so2: [['0', '35'], ['36', '75'], ['76', '185'], ['186', '304'], ['305', '604'], ['605', '1004']],
  no2: [['0', '53'], ['54', '100'], ['101', '360'], ['361', '649'], ['650', '1249'], ['1250', '2049']],
};

interface Compiled {
  /** Steps per unit of concentration: 10 for a table in tenths. */
  scale: bigint;
  /** Rows in integer steps. */
  rows: { lo: bigint; hi: bigint; iLo: bigint; iHi: bigint }[];
}

const COMPILED = Object.fromEntries(
  (Object.keys(EPA_TABLE) as EpaPollutant[]).map((p) => [p, compile(EPA_TABLE[p])]),
) as Record<EpaPollutant, Compiled>;

/** EPA AQI of a concentration in the table's units; integer 0–500, or null (see the module contract). */
export function epaAqi(pollutant: EpaPollutant, concentration: number): number | null {
  if (!Number.isFinite(concentration) || concentration < 0) return null;
  const { scale, rows } = COMPILED[pollutant];
  const c = truncateTo(ratioOf(concentration), scale);
  const row = rows.find((r) => c <= r.hi);
  if (row === undefined) return null;
  const dBp = row.hi - row.lo;
  return roundHalfUp({ n: row.iLo * dBp + (row.iHi - row.iLo) * (c - row.lo), d: dBp });
}

function compile(rows: readonly (readonly [string, string])[]): Compiled {
  const decimals = (rows[0]?.[0].split('.')[1] ?? '').length;
  const scale = 10n ** BigInt(decimals);
  const steps = (s: string): bigint => truncateTo(ratioOf(Number(s)), scale);
  return {
    scale,
    rows: rows.map(([lo, hi], i) => {
      const [iLo, iHi] = EPA_I[i] ?? [0, 0];
      return { lo: steps(lo), hi: steps(hi), iLo: BigInt(iLo), iHi: BigInt(iHi) };
    }),
  };
}
