import { createPrng } from '../../util/prng.js';
import { hanoiProfile } from '../pms5003/profile.js';

/** PM2.5 and PM10 mass concentrations, µg/m³, at one instant. */
export interface DustSample {
  pm25: number;
  pm10: number;
}

/** What a simulated SDS011 measures at time `now`. */
export type DustSource = (now: Date) => DustSample;

export interface HanoiDustOptions {
  /** Seed of the noise; the same seed and times give the same values. Default 1. */
  seed?: number;
}

/** PM10/PM2.5 ratio range of the SDS011 in Hà Nội air (coarse dust from roads and building sites). */
const PM10_RATIO_MIN = 1.3;
const PM10_RATIO_MAX = 1.8;

/**
 * A plausible Hà Nội SDS011: PM2.5 from the simulators' Hà Nội profile (season, diurnal cycle, noise) with the
 * sensor's 0.1 µg/m³ resolution, and PM10 = PM2.5 × a ratio drawn uniformly in [1.3, 1.8].
 */
export function hanoiDustProfile(options: HanoiDustOptions = {}): DustSource {
  const seed = options.seed ?? 1;
  const base = hanoiProfile({ seed });
  const prng = createPrng(seed ^ 0x5d5011);
  return (now) => {
    // The profile's PM2.5 is whole µg/m³; spread it over the tenths the SDS011 resolves.
    const pm25 = Math.max(0, base(now).pm25 + prng.next() - 0.5);
    const ratio = PM10_RATIO_MIN + (PM10_RATIO_MAX - PM10_RATIO_MIN) * prng.next();
    return { pm25: Math.round(pm25 * 10) / 10, pm10: Math.round(pm25 * ratio * 10) / 10 };
  };
}
