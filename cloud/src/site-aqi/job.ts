import type { Logger } from 'pino';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { hourOf, siteHourlyAqi } from './site-aqi.js';

export interface AqiJobOptions {
  store: TelemetryStore;
  sites: () => string[];
  /** Receives each site's AQI of the last complete hour (the rules engine's siteAqi). */
  onSiteAqi: (site: string, hourStart: number, aqi: number | null) => void;
  log: Logger;
  now?: () => number;
  /** Minutes past the hour to compute the previous hour, so late readings of the hour are in. Default 5. */
  offsetMin?: number;
}

/**
 * Once an hour (and at start), each site's VN_AQI of the last complete hour goes to the rules engine. The hour's
 * rollup is recomputed first, so the answer never waits on InfluxDB's continuous-query schedule.
 */
export function startAqiJob(opts: AqiJobOptions): { runOnce(): Promise<void>; stop(): void } {
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const runOnce = async (): Promise<void> => {
    const hour = hourOf(now() - (opts.offsetMin ?? 5) * 60_000) - 3_600_000;
    await opts.store.refreshRollups(hour - 11 * 3_600_000, hour + 3_600_000);
    for (const site of opts.sites()) {
      const [result] = await siteHourlyAqi(opts.store, site, hour, hour);
      opts.onSiteAqi(site, hour, result?.aqi ?? null);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    let next = hourOf(now()) + (opts.offsetMin ?? 5) * 60_000;
    if (next <= now()) next += 3_600_000;
    timer = setTimeout(() => {
      runOnce().catch((err: unknown) => opts.log.warn({ err }, 'hourly AQI failed; next hour will retry')).finally(schedule);
    }, next - now());
    timer.unref();
  };
  runOnce().catch((err: unknown) => opts.log.warn({ err }, 'AQI at start failed')).finally(schedule);
  return { runOnce, stop: () => { stopped = true; clearTimeout(timer); } };
}
