import { vnHourlyAqi, type VnHourlyResult } from '../aqi/index.js';
import type { AggregatePoint, TelemetryStore } from '../store/telemetry-store.js';

const HOUR = 3_600_000;
/** The metrics VN_AQI uses (µg/m³ each, CO included). */
const METRICS = ['pm25', 'pm10', 'no2', 'so2', 'co', 'o3'] as const;
type AqiMetric = (typeof METRICS)[number];

/** One hour of a site's VN_AQI. */
export interface SiteAqiHour extends VnHourlyResult {
  /** Start of the hour, epoch ms UTC (as the hourly rollup labels it). */
  hour: number;
  /** The hourly means that went in (current hour), µg/m³, after averaging the site's sensors. */
  means: Partial<Record<AqiMetric, number>>;
}

/** Floor of `t` to the hour (UTC hours are local hours too: Việt Nam is UTC+7, no DST). */
export const hourOf = (t: number): number => Math.floor(t / HOUR) * HOUR;

/**
 * Hourly means per metric for a site: a station with several sensors of one metric (a PMS5003 beside an SDS011)
 * counts as one station, so its sensors' hourly means are averaged, each weighted by its reading count.
 */
function siteMeans(points: readonly AggregatePoint[]): Map<AqiMetric, Map<number, number>> {
  const acc = new Map<AqiMetric, Map<number, { sum: number; n: number }>>();
  for (const p of points) {
    if (!(METRICS as readonly string[]).includes(p.metric)) continue;
    const byHour = acc.get(p.metric as AqiMetric) ?? new Map<number, { sum: number; n: number }>();
    acc.set(p.metric as AqiMetric, byHour);
    const cell = byHour.get(p.ts) ?? { sum: 0, n: 0 };
    cell.sum += p.value * p.count;
    cell.n += p.count;
    byHour.set(p.ts, cell);
  }
  return new Map([...acc].map(([m, byHour]) => [m, new Map([...byHour].map(([h, c]) => [h, c.sum / c.n]))]));
}

/**
 * VN_AQI of `site` for each hour in [fromHour, toHour] (hour starts, inclusive), from the store's hourly rollup:
 * PM by the NowCast of the 12 hours ending at that hour, gases by that hour's mean (QĐ 1459/QĐ-TCMT).
 */
export async function siteHourlyAqi(store: TelemetryStore, site: string, fromHour: number, toHour: number): Promise<SiteAqiHour[]> {
  const from = hourOf(fromHour) - 11 * HOUR;
  const to = hourOf(toHour) + HOUR;
  const points = (
    await Promise.all(METRICS.map((metric) => store.aggregate({ site, metric, from, to, every: '1h', fn: 'mean', limit: 100_000 })))
  ).flat();
  const means = siteMeans(points);
  const at = (m: AqiMetric, h: number): number | null => means.get(m)?.get(h) ?? null;
  const out: SiteAqiHour[] = [];
  for (let h = hourOf(fromHour); h <= hourOf(toHour); h += HOUR) {
    const series = (m: AqiMetric) => Array.from({ length: 12 }, (_, i) => at(m, h - i * HOUR));
    const result = vnHourlyAqi({ pm25: series('pm25'), pm10: series('pm10'), no2: at('no2', h), so2: at('so2', h), co: at('co', h), o3: at('o3', h) });
    const current = Object.fromEntries(METRICS.map((m) => [m, at(m, h)]).filter(([, v]) => v !== null)) as Partial<Record<AqiMetric, number>>;
    out.push({ ...result, hour: h, means: current });
  }
  return out;
}
