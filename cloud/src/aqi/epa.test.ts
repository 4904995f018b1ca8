import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { epaAqi, type EpaPollutant } from './epa.js';

// The AQI sections of ../shared/domain/vectors.json, copied verbatim beside this test.
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as { epa_pm25: { c: number; aqi: number }[] };

describe('epaAqi (2024 table)', () => {
  it.each(vectors.epa_pm25)('vectors.json: PM2.5 $c µg/m³ → $aqi', ({ c, aqi }) => {
    expect(epaAqi('pm25', c)).toBe(aqi);
  });

  it.each([
    ['pm25', 0, 0],
    ['pm25', 9.0, 50],
    ['pm25', 9.09, 50], // truncated to 9.0 before computing
    ['pm25', 9.1, 51],
    ['pm25', 35.4, 100],
    ['pm25', 35.5, 101],
    ['pm25', 55.4, 150],
    ['pm25', 125.5, 201],
    ['pm25', 325.4, 500],
    ['pm10', 54.9, 50], // truncated to 54
    ['pm10', 55, 51],
    ['pm10', 604, 500],
    ['o3_8h', 0.0549, 50], // truncated to 0.054
    ['o3_8h', 0.055, 51],
    ['o3_8h', 0.07, 100],
    ['o3_8h', 0.2, 300],
    ['co', 4.45, 50], // truncated to 4.4
    ['co', 4.5, 51],
    ['co', 50.4, 500],
    ['so2', 35.9, 50],
    ['so2', 36, 51],
    ['so2', 1004, 500],
    ['no2', 100, 100],
    ['no2', 101, 101],
    ['no2', 2049, 500],
  ] as const)('%s %d → %d', (p, c, aqi) => {
    expect(epaAqi(p, c)).toBe(aqi);
  });

  it('rounds half up on the exact value', () => {
    expect(epaAqi('co', 1.1)).toBe(13); // 50 · 1.1 / 4.4 = 12.5
    expect(epaAqi('o3_8h', 0.072)).toBe(105); // 101 + 49 · 1 / 14 = 104.5
    expect(epaAqi('o3_8h', 0.074)).toBe(112); // 111.5
    expect(epaAqi('pm10', 81)).toBe(64); // 51 + 49 · 26 / 99 = 63.87
  });

  it.each([
    ['pm25', 325.5],
    ['pm10', 605],
    ['o3_8h', 0.201],
    ['co', 50.5],
    ['so2', 1005],
    ['no2', 2050],
  ] as const)('%s %d is beyond the AQI (null)', (p, c) => {
    expect(epaAqi(p, c)).toBeNull();
  });

  it.each([-0.1, NaN, Infinity])('%d → null', (c) => {
    expect(epaAqi('pm25', c)).toBeNull();
  });

  it.each(['pm25', 'pm10', 'o3_8h', 'co', 'so2', 'no2'] as EpaPollutant[])('%s is monotonic over a dense sweep and has no gap', (p) => {
    const end = { pm25: 325.4, pm10: 604, o3_8h: 0.2, co: 50.4, so2: 1004, no2: 2049 }[p];
    let prev = 0;
    const bad: string[] = [];
    for (let k = 0; k <= 50_000; k++) {
      const c = (end * k) / 50_000;
      const aqi = epaAqi(p, c);
      if (aqi === null || aqi < prev) bad.push(`${c} → ${aqi} after ${prev}`);
      prev = aqi ?? prev;
    }
    expect(bad).toEqual([]);
    expect(prev).toBe(p === 'o3_8h' ? 300 : 500);
  });
});
