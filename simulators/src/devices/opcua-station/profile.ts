import { createPrng } from '../../util/prng.js';
import { hanoiProfile } from '../pms5003/profile.js';

/**
 * What an automatic air-quality station measures at one instant, in the catalogue's canonical units: particulates
 * and gases µg/m³ (CO too), temperature °C, relative humidity %.
 */
export interface StationSample {
  pm25: number;
  pm10: number;
  co: number;
  no2: number;
  so2: number;
  o3: number;
  temperature: number;
  humidity: number;
}

/** What a simulated station measures at time `now`. */
export type StationSource = (now: Date) => StationSample;

export interface StationProfileOptions {
  /** Seed of the noise; the same seed and times give the same values. Default 1. */
  seed?: number;
  /** Relative standard deviation of the multiplicative noise on pollutants. Default 0.08. */
  noise?: number;
}

const HANOI_UTC_OFFSET_H = 7;

/** Hà Nội monthly mean air temperature, °C, Jan … Dec (climate normals, Láng station). */
const MONTHLY_TEMPERATURE = [16.4, 17.2, 20.2, 23.7, 27.3, 28.8, 28.9, 28.2, 27.2, 24.6, 21.4, 18.2] as const;
/** Hà Nội monthly mean relative humidity, %, Jan … Dec. */
const MONTHLY_HUMIDITY = [73, 80, 85, 85, 80, 80, 80, 84, 81, 77, 74, 73] as const;
/** Half the daily temperature range, °C: warmest ≈ 14:00, coolest ≈ 02:00 local. */
const TEMPERATURE_AMPLITUDE = 3.5;
/** Half the daily humidity range, %: the inverse of temperature. */
const HUMIDITY_AMPLITUDE = 10;

/** Traffic intensity by local hour 0…23 (rush hours 07–09 and 17–19), mean ≈ 1: drives CO and NO₂. */
const TRAFFIC = [
  0.45, 0.35, 0.3, 0.3, 0.35, 0.6, 1.0, 1.55, 1.6, 1.25, 1.0, 1.0, 1.05, 1.0, 1.0, 1.1, 1.3, 1.6, 1.65, 1.4, 1.15,
  1.0, 0.8, 0.6,
] as const;

/** Typical urban levels at traffic 1 in the dry season, µg/m³. */
const CO_BASE = 1100;
const NO2_BASE = 38;
const SO2_BASE = 12;
/** O₃ night floor and midday photochemical peak, µg/m³. */
const O3_FLOOR = 15;
const O3_PEAK = 95;

/**
 * A plausible Hà Nội station: PM from the same profile as the simulated PMS5003 (season and diurnal cycle), CO and NO₂
 * following traffic and the winter inversion, O₃ following sunlight, temperature and humidity from climate normals
 * with a daily cycle. Plausible, not calibrated: for dashboards, alerts and load tests.
 */
export function stationProfile(options: StationProfileOptions = {}): StationSource {
  const seed = options.seed ?? 1;
  const particles = hanoiProfile({ seed, noise: options.noise });
  const prng = createPrng(seed + 1);
  const noise = options.noise ?? 0.08;
  const jitter = (): number => Math.max(0.3, 1 + noise * prng.normal());
  return (now) => {
    const local = new Date(now.getTime() + HANOI_UTC_OFFSET_H * 3_600_000);
    const month = local.getUTCMonth();
    const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
    const traffic = TRAFFIC[local.getUTCHours()] ?? 1;
    const winter = month <= 1 || month >= 10 ? 1.3 : month >= 4 && month <= 8 ? 0.8 : 1;
    const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
    const daily = Math.cos((2 * Math.PI * (hour - 14)) / 24);
    const pm = particles(now);
    return {
      pm25: pm.pm25,
      pm10: pm.pm10,
      co: round(CO_BASE * traffic * winter * jitter(), 0),
      no2: round(NO2_BASE * traffic * winter * jitter(), 1),
      so2: round(SO2_BASE * winter * jitter(), 1),
      o3: round((O3_FLOOR + O3_PEAK * sun * (2 - winter)) * jitter(), 1),
      temperature: round((MONTHLY_TEMPERATURE[month] ?? 24) + TEMPERATURE_AMPLITUDE * daily + 0.3 * prng.normal(), 1),
      humidity: round(clamp((MONTHLY_HUMIDITY[month] ?? 80) - HUMIDITY_AMPLITUDE * daily + 2 * prng.normal(), 20, 100), 1),
    };
  };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
