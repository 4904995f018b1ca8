import type { Reading } from '@ioc/protocol';
import type { Sds011Config } from './config.js';
import type { Sds011Measurement } from './frame.js';

/**
 * The readings of one measurement frame: pm25 and pm10 in µg/m³, stamped `ts` (epoch ms), quality 'good' (a frame
 * that reaches here passed its tail and checksum checks).
 */
export function measurementToReadings(m: Sds011Measurement, config: Pick<Sds011Config, 'sensor'>, ts: number): Reading[] {
  return [
    { sensor: config.sensor, metric: 'pm25', ts, value: m.pm25, quality: 'good' },
    { sensor: config.sensor, metric: 'pm10', ts, value: m.pm10, quality: 'good' },
  ];
}
