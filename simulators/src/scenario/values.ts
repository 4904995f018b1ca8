import { minutesOfDay } from './duration.js';
import { hashString, noiseAt, uniformAt } from './noise.js';
import type { Scenario, ScenarioSensor } from './scenario.js';
import type { Schedule } from './schedule.js';
import type { MetricProfile } from './schema.js';
import { localTime, type LocalTime } from './timeline.js';

/** Metric values (catalogue units) of one sensor at one instant. */
export type MetricValues = Readonly<Record<string, number>>;

/**
 * What every simulated sensor of a scenario measures, as a pure function of scenario time: the same seed, sensor
 * and instant give the same values, in a live run, a backfill or a test.
 */
export interface ValueModel {
  /** Values of sensor `key` (`gateway/sensor`) at scenario time `t`, with stuck and spike faults applied. */
  valuesAt(key: string, t: number): MetricValues;
  /** The same without faults: what the air (or river) really was. */
  cleanValuesAt(key: string, t: number): MetricValues;
  /** Whether `key` is a sensor with values (cameras are not). */
  has(key: string): boolean;
}

const SPIKE_DEFAULT_FACTOR = 6;
const RUSH_RAMP_MIN = 30;
const PRESENCE_BUCKET_MS = 3_600_000;

export function createValueModel(scenario: Scenario, schedule: Schedule): ValueModel {
  const seed = scenario.spec.seed;
  const sensors = new Map<string, (t: number) => Record<string, number>>();
  for (const s of scenario.sensors) {
    if (s.sensor.profile === undefined) continue;
    sensors.set(s.key, sensorModel(s, scenario.spec.profiles[s.sensor.profile] ?? {}, seed, schedule));
  }
  const clean = (key: string, t: number): Record<string, number> => {
    const model = sensors.get(key);
    if (!model) throw new RangeError(`no sensor with values: ${key}`);
    return model(t);
  };
  return {
    has: (key) => sensors.has(key),
    cleanValuesAt: (key, t) => Object.freeze(clean(key, t)),
    valuesAt(key, t) {
      let values = clean(key, t);
      for (const { fault, occurrence } of schedule.activeFaults(t)) {
        if (fault.target !== key) continue;
        if (fault.spec.kind === 'stuck') values = clean(key, occurrence.startMs);
        if (fault.spec.kind === 'spike') {
          const factor = fault.spec.factor ?? SPIKE_DEFAULT_FACTOR;
          values = Object.fromEntries(Object.entries(values).map(([m, v]) => [m, v * factor]));
        }
      }
      return Object.freeze(values);
    },
  };
}

/** Evaluates every metric of a sensor's profile: base metrics first, then ratios of them. */
function sensorModel(s: ScenarioSensor, profile: Record<string, MetricProfile>, seed: number, schedule: Schedule) {
  const entries = Object.entries(profile);
  const bases = entries.filter(([, p]) => p.ratioOf === undefined);
  const ratios = entries.filter(([, p]) => p.ratioOf !== undefined);
  const keys = Object.fromEntries(entries.map(([m]) => [m, hashString(`${s.key}/${m}`)]));
  const factor = s.sensor.factor ?? 1;
  return (t: number): Record<string, number> => {
    const local = localTime(t, schedule.utcOffsetHours);
    const raw: Record<string, number> = {};
    const out: Record<string, number> = {};
    for (const [metric, p] of bases) {
      const shaped = shape(p, local) * factor * schedule.episodeFactor(s.site.id, metric, t);
      raw[metric] = applyNoise(p, shaped, seed, keys[metric] ?? 0, t);
      out[metric] = finish(p, raw[metric], seed, keys[metric] ?? 0, t);
    }
    for (const [metric, p] of ratios) {
      const parent = raw[p.ratioOf ?? ''] ?? 0;
      out[metric] = finish(p, applyNoise(p, parent * (p.ratio ?? 1), seed, keys[metric] ?? 0, t), seed, keys[metric] ?? 0, t);
    }
    return out;
  };
}

/** Base (by season), diurnal cycle and rush hours at a local time. */
function shape(p: MetricProfile, local: LocalTime): number {
  let v = p.monthly ? seasonal(p.monthly, local) : (p.base ?? 0);
  if (p.diurnal) v *= hourly(p.diurnal, local.hour);
  if (p.diurnalOffset) v += hourly(p.diurnalOffset, local.hour);
  for (const rush of p.rushHours ?? []) v *= 1 + (rush.factor - 1) * rushIntensity(rush.from, rush.to, local.hour * 60);
  return v;
}

/** Monthly values anchored at mid-month, linearly interpolated in between. */
function seasonal(monthly: readonly number[], local: LocalTime): number {
  const pos = local.month + (local.day - 1 + local.hour / 24) / local.daysInMonth - 0.5;
  const i = Math.floor(pos);
  const f = pos - i;
  return lerp(monthly[(i + 12) % 12] ?? 0, monthly[(i + 1) % 12] ?? 0, f);
}

/** Values at each whole hour, linearly interpolated in between (23:30 is halfway to 00:00's value). */
function hourly(values: readonly number[], hour: number): number {
  const i = Math.floor(hour);
  return lerp(values[i % 24] ?? 0, values[(i + 1) % 24] ?? 0, hour - i);
}

/** 0 outside [from, to), rising to 1 over the first 30 minutes and falling over the last (windows may wrap). */
function rushIntensity(from: string, to: string, minute: number): number {
  const start = minutesOfDay(from);
  let length = minutesOfDay(to) - start;
  if (length <= 0) length += 1440;
  const into = (minute - start + 1440) % 1440;
  if (into >= length) return 0;
  const ramp = Math.min(RUSH_RAMP_MIN, length / 2);
  return Math.min(1, into / ramp, (length - into) / ramp);
}

function applyNoise(p: MetricProfile, v: number, seed: number, key: number, t: number): number {
  const relative = p.noise ?? (p.noiseAbs === undefined ? 0.05 : 0);
  let out = v;
  if (relative > 0) out *= Math.max(0.1, 1 + relative * noiseAt(seed, key, t));
  if (p.noiseAbs) out += p.noiseAbs * noiseAt(seed, key ^ 0x27d4eb2f, t);
  return out;
}

/** Presence (rain comes and goes by the hour), wrap, clamps and rounding. */
function finish(p: MetricProfile, v: number, seed: number, key: number, t: number): number {
  let out = v;
  if (p.presence !== undefined && uniformAt(seed, key ^ 0x165667b1, Math.floor(t / PRESENCE_BUCKET_MS)) >= p.presence) out = 0;
  // Rounded before wrapping, so 359.6° becomes 0°, never 360°.
  if (p.decimals !== undefined) out = Number(out.toFixed(p.decimals));
  if (p.wrap !== undefined) out = ((out % p.wrap) + p.wrap) % p.wrap;
  const min = p.min ?? (p.wrap === undefined ? 0 : undefined);
  if (min !== undefined) out = Math.max(min, out);
  if (p.max !== undefined) out = Math.min(p.max, out);
  return out;
}

function lerp(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}
