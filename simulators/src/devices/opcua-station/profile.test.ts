import { describe, expect, it } from 'vitest';
import { stationProfile, type StationSample } from './profile.js';

const HOUR_MS = 3_600_000;

/** Mean of one quantity over the hours of [from, to) whose Hà Nội local hour is `localHour` (or all hours). */
function mean(key: keyof StationSample, from: string, to: string, localHour?: number): number {
  const source = stationProfile({ seed: 42 });
  let sum = 0;
  let n = 0;
  for (let t = Date.parse(from); t < Date.parse(to); t += HOUR_MS) {
    if (localHour !== undefined && (new Date(t).getUTCHours() + 7) % 24 !== localHour) continue;
    sum += source(new Date(t))[key];
    n += 1;
  }
  return sum / n;
}

/** Plausible ranges of the metric catalogue (docs/protocol.md), in its units. */
const RANGES: Record<keyof StationSample, [number, number]> = {
  pm25: [0, 1000],
  pm10: [0, 2000],
  co: [0, 100_000],
  no2: [0, 4000],
  so2: [0, 5000],
  o3: [0, 2000],
  temperature: [-40, 85],
  humidity: [0, 100],
};

describe('stationProfile', () => {
  it('stays within the catalogue’s plausible ranges over a year, hour by hour', () => {
    const source = stationProfile({ seed: 3 });
    const outside: string[] = [];
    for (let t = Date.parse('2025-01-01T00:00Z'); t < Date.parse('2026-01-01T00:00Z'); t += HOUR_MS) {
      const s = source(new Date(t));
      for (const [key, [min, max]] of Object.entries(RANGES)) {
        const value = s[key as keyof StationSample];
        if (!(Number.isFinite(value) && value >= min && value <= max)) outside.push(`${new Date(t).toISOString()} ${key}=${value}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('repeats itself for the same seed and differs for another', () => {
    const at = new Date('2025-01-15T01:00Z');
    expect(stationProfile({ seed: 9 })(at)).toEqual(stationProfile({ seed: 9 })(at));
    expect(stationProfile({ seed: 9 })(at)).not.toEqual(stationProfile({ seed: 10 })(at));
  });

  it('is warmer and drier at 14:00 than at 04:00, and warmer in July than in January', () => {
    expect(mean('temperature', '2025-07-01T00:00Z', '2025-08-01T00:00Z')).toBeGreaterThan(
      mean('temperature', '2025-01-01T00:00Z', '2025-02-01T00:00Z') + 8,
    );
    expect(mean('temperature', '2025-04-01T00:00Z', '2025-05-01T00:00Z', 14)).toBeGreaterThan(
      mean('temperature', '2025-04-01T00:00Z', '2025-05-01T00:00Z', 4) + 4,
    );
    expect(mean('humidity', '2025-04-01T00:00Z', '2025-05-01T00:00Z', 14)).toBeLessThan(
      mean('humidity', '2025-04-01T00:00Z', '2025-05-01T00:00Z', 4) - 10,
    );
  });

  it('follows traffic for NO₂ and CO, sunlight for O₃', () => {
    const month = ['2025-03-01T00:00Z', '2025-04-01T00:00Z'] as const;
    expect(mean('no2', ...month, 8)).toBeGreaterThan(2 * mean('no2', ...month, 3));
    expect(mean('co', ...month, 18)).toBeGreaterThan(2 * mean('co', ...month, 3));
    expect(mean('o3', ...month, 13)).toBeGreaterThan(3 * mean('o3', ...month, 2));
  });

  it('has winter PM2.5 well above summer’s, and PM10 above PM2.5', () => {
    expect(mean('pm25', '2025-12-01T00:00Z', '2026-02-01T00:00Z')).toBeGreaterThan(
      2.5 * mean('pm25', '2025-06-01T00:00Z', '2025-08-01T00:00Z'),
    );
    expect(mean('pm10', '2025-01-01T00:00Z', '2026-01-01T00:00Z')).toBeGreaterThan(mean('pm25', '2025-01-01T00:00Z', '2026-01-01T00:00Z'));
  });
});
