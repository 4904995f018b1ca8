/**
 * VN_AQI per QĐ 1459/QĐ-TCMT and the Decisions of ../shared/domain/AIR-QUALITY.md:
 * continuous scale, round half up (decided on the exact value), at or above the top breakpoint → 500,
 * O3 8h above 400 µg/m³ → not applicable (null). Concentrations in µg/m³ (CO too).
 */
import { compare, ratioInt, ratioOf, roundHalfUp, toNumber, type Ratio } from './exact.js';
import { nowCastRatio } from './nowcast.js';
import { VN_BREAKPOINTS, VN_CATEGORIES, VN_I, type Category, type VnPollutant } from './vn-tables.js';

/** A pollutant of the overall VN_AQI (ozone is one pollutant, whichever column gave its sub-index). */
export type VnAqiPollutant = 'pm25' | 'pm10' | 'o3' | 'no2' | 'so2' | 'co';

/** Order of the sub-indices; on a tie the first one here is reported as dominant. */
export const VN_AQI_POLLUTANTS: readonly VnAqiPollutant[] = Object.freeze(['pm25', 'pm10', 'o3', 'no2', 'so2', 'co']);

/** An overall VN_AQI with how it was made. */
export interface VnAqiResult {
  /** Integer 0–500, or null when neither PM2.5 nor PM10 has a sub-index. */
  aqi: number | null;
  /** Category of `aqi`, null when `aqi` is null. */
  category: Category | null;
  /** The pollutant whose sub-index is the AQI (first of VN_AQI_POLLUTANTS on a tie); null when `aqi` is null. */
  dominant: VnAqiPollutant | null;
  /** Every sub-index, null where there was no (valid) data. */
  subIndices: Record<VnAqiPollutant, number | null>;
}

/** Input of vnHourlyAqi. */
export interface VnHourlyInput {
  /** PM2.5 hourly means, c1 (current hour) first, up to 12, null for a missing hour. */
  pm25?: readonly (number | null)[] | null;
  /** PM10 hourly means, as pm25. */
  pm10?: readonly (number | null)[] | null;
  /** 1-hour means of the current hour. */
  no2?: number | null;
  so2?: number | null;
  co?: number | null;
  /** O3 1-hour mean of the current hour (O3 1h column). */
  o3?: number | null;
}

/** Hourly VN_AQI plus the NowCasts it used. */
export interface VnHourlyResult extends VnAqiResult {
  /** The PM NowCasts in µg/m³ (nearest double of the exact value), null when not valid. */
  nowCast: { pm25: number | null; pm10: number | null };
}

/** Input of vnDailyAqi: the day's statistics (see series.ts to compute them from hourly means). */
export interface VnDailyInput {
  /** 24-hour means of the hourly means (local day 01:00 … 00:00). */
  pm25_24h?: number | null;
  pm10_24h?: number | null;
  /** The day's highest 1-hour means. */
  no2_1h_max?: number | null;
  so2_1h_max?: number | null;
  co_1h_max?: number | null;
  o3_1h_max?: number | null;
  /** The day's highest 8-hour running mean of O3. */
  o3_8h_max?: number | null;
}

/**
 * Sub-index of one pollutant: integer 0–500, or null when `concentration` is negative, NaN or ±Infinity, or
 * for `o3_8h` above 400 µg/m³ (that column then does not apply).
 */
export function vnSubIndex(pollutant: VnPollutant, concentration: number): number | null {
  if (!Number.isFinite(concentration) || concentration < 0) return null;
  return subIndexOf(pollutant, ratioOf(concentration));
}

/** Category of an AQI value (0–50 Tốt, 51–100 Trung bình, …, 301 and above Nguy hại). RangeError for NaN or < 0. */
export function vnCategory(aqi: number): Category {
  if (Number.isNaN(aqi) || aqi < 0) throw new RangeError(`not an AQI: ${aqi}`);
  const found = VN_CATEGORIES.find((c) => aqi <= c.max) ?? VN_CATEGORIES[VN_CATEGORIES.length - 1];
  if (found === undefined) throw new RangeError('no categories');
  return found;
}

/** Hourly VN_AQI: PM from the NowCast of the last 12 hours, gases from the current hour's 1-hour mean. */
export function vnHourlyAqi(input: VnHourlyInput): VnHourlyResult {
  const pm25 = input.pm25 ? nowCastRatio(input.pm25) : null;
  const pm10 = input.pm10 ? nowCastRatio(input.pm10) : null;
  const subIndices: Record<VnAqiPollutant, number | null> = {
    pm25: pm25 === null ? null : subIndexOf('pm25', pm25),
    pm10: pm10 === null ? null : subIndexOf('pm10', pm10),
    o3: gas('o3_1h', input.o3),
    no2: gas('no2', input.no2),
    so2: gas('so2', input.so2),
    co: gas('co', input.co),
  };
  const nowCast = { pm25: pm25 === null ? null : toNumber(pm25), pm10: pm10 === null ? null : toNumber(pm10) };
  return { ...overall(subIndices), nowCast };
}

/**
 * Daily VN_AQI: PM from the 24-hour means, SO2/NO2/CO from the day's highest 1-hour mean, O3 the larger of the
 * 1h-column sub-index of the highest 1-hour mean and the 8h-column sub-index of the highest 8-hour running mean
 * (the latter skipped above 400 µg/m³). Like the hourly AQI, it needs PM2.5 or PM10 (our reading of QĐ 1459).
 */
export function vnDailyAqi(input: VnDailyInput): VnAqiResult {
  const o3 = [gas('o3_1h', input.o3_1h_max), gas('o3_8h', input.o3_8h_max)].filter((v): v is number => v !== null);
  return overall({
    pm25: gas('pm25', input.pm25_24h),
    pm10: gas('pm10', input.pm10_24h),
    o3: o3.length === 0 ? null : Math.max(...o3),
    no2: gas('no2', input.no2_1h_max),
    so2: gas('so2', input.so2_1h_max),
    co: gas('co', input.co_1h_max),
  });
}

function overall(subIndices: Record<VnAqiPollutant, number | null>): VnAqiResult {
  if (subIndices.pm25 === null && subIndices.pm10 === null) return { aqi: null, category: null, dominant: null, subIndices };
  let dominant: VnAqiPollutant = 'pm25';
  let aqi = -1;
  for (const p of VN_AQI_POLLUTANTS) {
    const v = subIndices[p];
    if (v !== null && v > aqi) [aqi, dominant] = [v, p];
  }
  return { aqi, category: vnCategory(aqi), dominant, subIndices };
}

function gas(pollutant: VnPollutant, c: number | null | undefined): number | null {
  return typeof c === 'number' ? vnSubIndex(pollutant, c) : null;
}

/** The sub-index of an exact concentration: the linear formula of QĐ 1459 in the band holding c. */
function subIndexOf(pollutant: VnPollutant, c: Ratio): number | null {
  const bp = VN_BREAKPOINTS[pollutant];
  const top = bp[bp.length - 1] ?? 0;
  if (compare(c, ratioInt(top)) >= 0) {
    if (pollutant !== 'o3_8h') return 500;
    return compare(c, ratioInt(top)) === 0 ? (VN_I[bp.length - 1] ?? null) : null;
  }
  for (let i = 0; i + 1 < bp.length; i++) {
    const lo = bp[i] ?? 0;
    const hi = bp[i + 1] ?? 0;
    if (compare(c, ratioInt(hi)) >= 0) continue;
    const iLo = BigInt(VN_I[i] ?? 0);
    const dI = BigInt((VN_I[i + 1] ?? 0) - (VN_I[i] ?? 0));
    const dBp = BigInt(hi - lo);
    // I_lo + dI/dBP · (n/d − lo) = (I_lo·dBP·d + dI·(n − lo·d)) / (dBP·d)
    return roundHalfUp({ n: iLo * dBp * c.d + dI * (c.n - BigInt(lo) * c.d), d: dBp * c.d });
  }
  return 500;
}
