import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from './load.js';
import { compileSchedule } from './schedule.js';
import { createValueModel } from './values.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-01-10 00:00 Hà Nội time. */
const JAN_10 = Date.UTC(2026, 0, 9, 17);

const haNam = await loadScenarioFile(`${SCENARIOS}ha-nam.yaml`);
const minimal = await loadScenarioFile(`${SCENARIOS}minimal.yaml`);

/** Values of a sensor every `stepMs` over [from, to). */
function series(model: ReturnType<typeof createValueModel>, key: string, metric: string, from: number, to: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += stepMs) out.push(model.valuesAt(key, t)[metric] ?? Number.NaN);
  return out;
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('scenario values', () => {
  it('are the same for the same seed and instant, whoever builds the model and in whatever order', () => {
    const a = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    const b = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    const times = [JAN_10 + 5 * HOUR + 123, JAN_10 + 17_000, JAN_10 - 3 * DAY];
    const forward = times.map((t) => a.valuesAt('gw-phu-ly-01/pm-01', t));
    const backward = [...times].reverse().map((t) => b.valuesAt('gw-phu-ly-01/pm-01', t)).reverse();
    expect(backward).toEqual(forward);
    expect(forward[0]?.pm25).toBeGreaterThan(0);
  });

  it('change with the seed', () => {
    const reseeded = { ...haNam, spec: { ...haNam.spec, seed: haNam.spec.seed + 1 } };
    const a = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    const b = createValueModel(reseeded, compileSchedule(reseeded, JAN_10));
    const t = JAN_10 - DAY;
    expect(b.valuesAt('gw-phu-ly-01/pm-01', t).pm25).not.toBe(a.valuesAt('gw-phu-ly-01/pm-01', t).pm25);
  });

  it('look like Red River delta air: a January mean of 40–110 µg/m³, ≈ 3 × July, night above afternoon', () => {
    const model = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    const key = 'gw-phu-ly-01/pm-01';
    // A week before the run's origin: before the scheduled winter episode.
    const january = series(model, key, 'pm25', JAN_10 - 7 * DAY, JAN_10, 10 * 60_000);
    const july = series(model, key, 'pm25', JAN_10 - 187 * DAY, JAN_10 - 180 * DAY, 10 * 60_000);
    expect(mean(january)).toBeGreaterThan(40);
    expect(mean(january)).toBeLessThan(110);
    expect(mean(january) / mean(july)).toBeGreaterThan(2.5);
    expect(mean(january) / mean(july)).toBeLessThan(4);
    const at = (hour: number): number[] => Array.from({ length: 7 }, (_, d) => model.valuesAt(key, JAN_10 - (d + 1) * DAY + hour * HOUR).pm25 ?? 0);
    expect(mean(at(4))).toBeGreaterThan(1.8 * mean(at(14.5)));
    const pm = model.valuesAt(key, JAN_10 - DAY);
    expect(pm.pm10! / pm.pm25!).toBeGreaterThan(1.4);
    expect(pm.pm1! / pm.pm25!).toBeLessThan(0.85);
  });

  it('multiply the listed metrics by the episode factor once it has ramped up', () => {
    const model = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    // Same instants with the origin moved a month on: no episode then, and the noise depends on time only.
    const clean = createValueModel(haNam, compileSchedule(haNam, JAN_10 + 30 * DAY));
    const t = JAN_10 + 30 * HOUR; // 24 h into the 48 h episode
    const during = model.valuesAt('gw-dong-van-01/station-01', t);
    const before = clean.valuesAt('gw-dong-van-01/station-01', t);
    expect(during.pm25! / before.pm25!).toBeCloseTo(2.2, 1);
    expect(during.temperature).toBe(before.temperature); // not a listed metric
    const rising = model.valuesAt('gw-phu-ly-01/pm-01', JAN_10 + 9 * HOUR).pm25! / clean.valuesAt('gw-phu-ly-01/pm-01', JAN_10 + 9 * HOUR).pm25!;
    expect(rising).toBeCloseTo(1.6, 1); // halfway up a 6 h ramp: 1 + 1.2 × 0.5
  });

  it('stay in range: humidity ≤ 100 %, wind direction in [0, 360), rain present some hours only', () => {
    const model = createValueModel(haNam, compileSchedule(haNam, JAN_10));
    const key = 'gw-phu-ly-01/met-01';
    const from = JAN_10 - 200 * DAY;
    const humidity = series(model, key, 'humidity', from, JAN_10, 3 * HOUR);
    const direction = series(model, key, 'wind_direction', from, JAN_10, 3 * HOUR);
    const rain = series(model, key, 'rainfall', from, JAN_10, HOUR);
    expect(Math.max(...humidity)).toBeLessThanOrEqual(100);
    expect(Math.min(...direction)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...direction)).toBeLessThan(360);
    const wet = rain.filter((r) => r > 0).length / rain.length;
    expect(wet).toBeGreaterThan(0.15);
    expect(wet).toBeLessThan(0.35);
  });

  it('apply stuck and spike faults in their windows only', () => {
    const origin = JAN_10;
    const model = createValueModel(minimal, compileSchedule(minimal, origin));
    // faults[1]: gw-a/pm-02 stuck from 20 to 30 min.
    const stuckStart = model.cleanValuesAt('gw-a/pm-02', origin + 20 * 60_000);
    expect(model.valuesAt('gw-a/pm-02', origin + 25 * 60_000)).toEqual(stuckStart);
    expect(model.valuesAt('gw-a/pm-02', origin + 29 * 60_000 + 59_000)).toEqual(stuckStart);
    expect(model.valuesAt('gw-a/pm-02', origin + 30 * 60_000)).toEqual(model.cleanValuesAt('gw-a/pm-02', origin + 30 * 60_000));
    expect(model.valuesAt('gw-a/pm-02', origin + 25 * 60_000)).not.toEqual(model.cleanValuesAt('gw-a/pm-02', origin + 25 * 60_000));
    // faults[2]: gw-b/pm-01 ×6 from 30 to 31 min.
    const t = origin + 30 * 60_000 + 30_000;
    expect(model.valuesAt('gw-b/pm-01', t).pm25).toBeCloseTo(6 * model.cleanValuesAt('gw-b/pm-01', t).pm25!, 9);
    expect(model.valuesAt('gw-b/pm-01', t + 60_000).pm25).toBe(model.cleanValuesAt('gw-b/pm-01', t + 60_000).pm25);
  });
});
