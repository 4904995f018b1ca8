import type { Reading } from '@ioc/protocol';
import type { Pms5003Config } from './config.js';
import type { Pms5003Frame } from './frame.js';

/** Metric names of the six particle counts, in frame order (>0.3 µm … >10 µm), unit: particles per 0.1 L. */
export const PMS5003_COUNT_METRICS = ['pc_0_3', 'pc_0_5', 'pc_1_0', 'pc_2_5', 'pc_5_0', 'pc_10'] as const;

/**
 * The readings of one frame: pm1, pm25, pm10 (atmospheric, µg/m³) and, if `emitCounts`, the six counts; all
 * stamped `ts` (epoch ms) and quality 'good' (a frame that reaches here passed its checksum).
 */
export function frameToReadings(
  frame: Pms5003Frame,
  config: Pick<Pms5003Config, 'sensor' | 'emitCounts'>,
  ts: number,
): Reading[] {
  const reading = (metric: string, value: number): Reading => ({
    sensor: config.sensor,
    metric,
    ts,
    value,
    quality: 'good',
  });
  const readings = [reading('pm1', frame.pm1), reading('pm25', frame.pm25), reading('pm10', frame.pm10)];
  if (config.emitCounts) {
    PMS5003_COUNT_METRICS.forEach((metric, i) => readings.push(reading(metric, frame.counts[i] ?? 0)));
  }
  return readings;
}
