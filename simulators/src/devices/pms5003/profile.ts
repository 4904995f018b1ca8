import { createPrng } from '../../util/prng.js';

/** Atmospheric concentrations (µg/m³) and optionally the six particle counts (per 0.1 L) at one instant. */
export interface ParticleSample {
  pm1: number;
  pm25: number;
  pm10: number;
  counts?: readonly [number, number, number, number, number, number];
}

/** What a simulated particle sensor measures at time `now`. */
export type ParticleSource = (now: Date) => ParticleSample;

export interface HanoiProfileOptions {
  /** Seed of the noise; the same seed and times give the same values. Default 1. */
  seed?: number;
  /** Relative standard deviation of the multiplicative noise. Default 0.08 (8 %). */
  noise?: number;
}

/** Hà Nội local hour (UTC+7, no daylight saving). */
const HANOI_UTC_OFFSET_H = 7;

/**
 * PM2.5 base level by month (Jan … Dec), µg/m³: winter ≈ 3× summer, annual mean ≈ 40
 * (../shared/domain/AIR-QUALITY.md, "Realistic PM2.5 for the Red River delta").
 */
const MONTHLY_PM25 = [68, 62, 52, 38, 26, 20, 18, 19, 24, 36, 56, 66] as const;

/**
 * Diurnal multiplier by local hour 0…23: night inversion peak 02–08 (≈ ×1.5), rush-hour bumps 07–09 and 17–19,
 * afternoon trough with its minimum at 14–15 (≈ ×0.6). Mean ≈ 1.
 */
const HOURLY_FACTOR = [
  1.25, 1.35, 1.5, 1.55, 1.55, 1.5, 1.45, 1.45, 1.35, 1.1, 0.9, 0.8, 0.7, 0.65, 0.6, 0.6, 0.65, 0.8, 0.95, 1.0,
  1.05, 1.1, 1.15, 1.2,
] as const;

/** PM10/PM2.5 and PM1/PM2.5 ratios of the city's station data (PM10 ≈ 70.5 against PM2.5 ≈ 40.5). */
const PM10_RATIO = 1.75;
const PM1_RATIO = 0.7;

/**
 * A plausible Hà Nội PM profile with noise: season, diurnal cycle and station-like PM1/PM10 ratios.
 * Plausible, not calibrated: good enough for dashboards, alerts and load tests, not for validating AQI maths.
 */
export function hanoiProfile(options: HanoiProfileOptions = {}): ParticleSource {
  const prng = createPrng(options.seed ?? 1);
  const noise = options.noise ?? 0.08;
  const jitter = (): number => Math.max(0.3, 1 + noise * prng.normal());
  return (now) => {
    const local = new Date(now.getTime() + HANOI_UTC_OFFSET_H * 3_600_000);
    const month = MONTHLY_PM25[local.getUTCMonth()] ?? 40;
    const hour = HOURLY_FACTOR[local.getUTCHours()] ?? 1;
    const pm25 = month * hour * jitter();
    return {
      pm1: Math.round(pm25 * PM1_RATIO * jitter()),
      pm25: Math.round(pm25),
      pm10: Math.round(pm25 * PM10_RATIO * jitter()),
    };
  };
}

/**
 * Cumulative particle counts per 0.1 L consistent with a mass sample: non-increasing from >0.3 µm to >10 µm and
 * near what a PMS5003 reports (for pm1 0, pm25 8, pm10 8 this gives 208/68/44/28/0/0; the captured frame of
 * vectors.json says 210/70/45/30/0/0).
 */
export function countsFromMass(
  sample: Pick<ParticleSample, 'pm1' | 'pm25' | 'pm10'>,
): [number, number, number, number, number, number] {
  const fine = Math.max(sample.pm1, 0);
  const mid = Math.max(sample.pm25 - sample.pm1, 0);
  const coarse = Math.max(sample.pm10 - sample.pm25, 0);
  const gt10 = Math.round(coarse * 0.05);
  const gt5 = Math.round(coarse * 0.3) + gt10;
  const gt2_5 = Math.round(mid * 3.5 + coarse * 0.8) + gt5;
  const gt1 = Math.round(fine * 1.5 + mid * 2) + gt2_5;
  const gt0_5 = Math.round(fine * 8 + mid * 3) + gt1;
  const gt0_3 = Math.round(fine * 18 + mid * 17.5) + gt0_5;
  return [gt0_3, gt0_5, gt1, gt2_5, gt5, gt10].map(clampUint16) as [number, number, number, number, number, number];
}

/**
 * CF=1 values for atmospheric ones: equal up to 30 µg/m³, ×1.5 from ≈ 67 µg/m³, linear in between — the shape of the
 * relation PMS5003 firmware is observed to apply.
 */
export function cf1FromAtmospheric(atm: number): number {
  const LOW = 30;
  const HIGH = 200 / 3;
  if (atm <= LOW) return atm;
  if (atm >= HIGH) return clampUint16(atm * 1.5);
  return clampUint16(atm * (1 + (0.5 * (atm - LOW)) / (HIGH - LOW)));
}

export function clampUint16(value: number): number {
  return Math.min(0xffff, Math.max(0, Math.round(value)));
}
