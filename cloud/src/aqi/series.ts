/**
 * From hourly means (as InfluxDB's `GROUP BY time(1h)` returns them) to the inputs of vnHourlyAqi and vnDailyAqi.
 *
 * Conventions:
 * - `HourlyMean.ts` is the START of the hour, epoch ms UTC, a whole hour (InfluxDB labels buckets by their start).
 *   Vietnamese reports label an hour by its end: the hour "01:00" is 00:00–01:00 local time.
 * - The VN day D (UTC+7) runs from the hour labelled 01:00 to the one labelled 00:00 of D+1, i.e. hour starts in
 *   [D 00:00+07:00, D+1 00:00+07:00).
 * - Values are µg/m³; null, NaN, ±Infinity and negative values are missing hours. A later entry for the same
 *   hour replaces an earlier one.
 * - Means are computed exactly and returned as the nearest double.
 *
 * Completeness (QĐ 1459 and AIR-QUALITY.md give no rule; ours, adjustable): a 24-hour mean needs 18 of 24 hours,
 * an 8-hour running mean 6 of 8 hours (75 %), else it is null.
 */
import { compare, mean, ratioOf, toNumber, type Ratio } from './exact.js';
import { NOWCAST_HOURS } from './nowcast.js';
import type { VnDailyInput } from './vn.js';

/** One hourly mean. */
export interface HourlyMean {
  /** Start of the hour, epoch ms UTC, a multiple of 3 600 000. */
  ts: number;
  /** Mean over the hour in µg/m³; null when the hour has no data. */
  value: number | null;
}

/** Minimum hours with data for a mean to count. */
export interface Completeness {
  /** Hours of 24 a daily mean needs; default 18. */
  dailyMinHours?: number;
  /** Hours of 8 an 8-hour running mean needs; default 6. */
  eightHourMinHours?: number;
}

export const HOUR_MS = 3_600_000;
/** Viet Nam's offset from UTC (no daylight saving time). */
export const VN_UTC_OFFSET_MS = 7 * HOUR_MS;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The VN day (`YYYY-MM-DD`, UTC+7) that the hour starting at `hourStart` belongs to. */
export function vnDayOf(hourStart: number): string {
  return new Date(hourStart + VN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** Hour starts of the VN day `day` (`YYYY-MM-DD`): [from, to), epoch ms UTC. RangeError for a malformed day. */
export function vnDayRange(day: string): { from: number; to: number } {
  const m = DAY_PATTERN.exec(day);
  const from = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - VN_UTC_OFFSET_MS : NaN;
  if (!Number.isFinite(from) || vnDayOf(from) !== day) throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return { from, to: from + 24 * HOUR_MS };
}

/**
 * The 12 hourly means the NowCast of the hour starting at `currentHourStart` uses: c1 (that hour) first,
 * then the 11 hours before it, null where the series has no value.
 */
export function nowCastWindow(series: readonly HourlyMean[], currentHourStart: number): (number | null)[] {
  const byHour = index(series);
  return Array.from({ length: NOWCAST_HOURS }, (_, i) => toValue(byHour.get(currentHourStart - i * HOUR_MS)));
}

/** 24-hour mean of the hourly means of VN day `day`, or null with fewer than `dailyMinHours` hours. */
export function dailyMean(series: readonly HourlyMean[], day: string, opts: Completeness = {}): number | null {
  const { from } = vnDayRange(day);
  const byHour = index(series);
  const values = hoursOf(byHour, from, 24);
  return values.length >= (opts.dailyMinHours ?? 18) ? toNumber(mean(values)) : null;
}

/** The day's highest hourly mean, or null when the day has no data. */
export function dailyMax1h(series: readonly HourlyMean[], day: string): number | null {
  const { from } = vnDayRange(day);
  const best = maxOf(hoursOf(index(series), from, 24));
  return best === null ? null : toNumber(best);
}

/**
 * The day's highest 8-hour running mean: over the 24 windows that END in the day (the running mean a station
 * reports each hour, so the first windows reach back into the previous day), each needing `eightHourMinHours`.
 * Null when no window qualifies.
 */
export function max8hRunningMean(series: readonly HourlyMean[], day: string, opts: Completeness = {}): number | null {
  const { from } = vnDayRange(day);
  const byHour = index(series);
  const need = opts.eightHourMinHours ?? 6;
  const means: Ratio[] = [];
  for (let end = 0; end < 24; end++) {
    const values = hoursOf(byHour, from + (end - 7) * HOUR_MS, 8);
    if (values.length >= need) means.push(mean(values));
  }
  const best = maxOf(means);
  return best === null ? null : toNumber(best);
}

/** Hourly series per pollutant (µg/m³), as input to vnDailyInputs. */
export interface PollutantSeries {
  pm25?: readonly HourlyMean[];
  pm10?: readonly HourlyMean[];
  no2?: readonly HourlyMean[];
  so2?: readonly HourlyMean[];
  co?: readonly HourlyMean[];
  o3?: readonly HourlyMean[];
}

/** Everything vnDailyAqi needs for VN day `day`, from hourly series. */
export function vnDailyInputs(series: PollutantSeries, day: string, opts: Completeness = {}): VnDailyInput {
  const of = <T>(s: readonly HourlyMean[] | undefined, f: (s: readonly HourlyMean[]) => T): T | null => (s ? f(s) : null);
  return {
    pm25_24h: of(series.pm25, (s) => dailyMean(s, day, opts)),
    pm10_24h: of(series.pm10, (s) => dailyMean(s, day, opts)),
    no2_1h_max: of(series.no2, (s) => dailyMax1h(s, day)),
    so2_1h_max: of(series.so2, (s) => dailyMax1h(s, day)),
    co_1h_max: of(series.co, (s) => dailyMax1h(s, day)),
    o3_1h_max: of(series.o3, (s) => dailyMax1h(s, day)),
    o3_8h_max: of(series.o3, (s) => max8hRunningMean(s, day, opts)),
  };
}

function index(series: readonly HourlyMean[]): Map<number, number | null> {
  const byHour = new Map<number, number | null>();
  for (const { ts, value } of series) {
    if (!Number.isInteger(ts) || ts % HOUR_MS !== 0) throw new RangeError(`hourly mean ts must be a whole hour (epoch ms): ${ts}`);
    byHour.set(ts, value);
  }
  return byHour;
}

function toValue(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function hoursOf(byHour: Map<number, number | null>, from: number, hours: number): Ratio[] {
  const values: Ratio[] = [];
  for (let h = 0; h < hours; h++) {
    const v = toValue(byHour.get(from + h * HOUR_MS));
    if (v !== null) values.push(ratioOf(v));
  }
  return values;
}

function maxOf(values: readonly Ratio[]): Ratio | null {
  return values.reduce<Ratio | null>((best, v) => (best === null || compare(v, best) > 0 ? v : best), null);
}
