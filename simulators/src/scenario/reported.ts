import { countsFromMass } from '../devices/pms5003/profile.js';
import { MODBUS_MAP_METRICS, OPCUA_STATION_METRICS, PMS5003_COUNT_METRICS } from './metrics.js';
import type { ScenarioSensor } from './scenario.js';
import type { MetricValues } from './values.js';

/** The metrics the edge reports for a sensor of a scenario (what to register, what a backfill publishes). */
export function reportedMetrics(s: ScenarioSensor): readonly string[] {
  switch (s.kind) {
    case 'pms5003':
      return ['pm1', 'pm25', 'pm10', ...PMS5003_COUNT_METRICS];
    case 'sds011':
      return ['pm25', 'pm10'];
    case 'modbus':
      return s.sensor.registerMap ? MODBUS_MAP_METRICS[s.sensor.registerMap] : [];
    case 'opcua-station':
      return OPCUA_STATION_METRICS;
    case 'camera':
      return ['camera_online'];
  }
}

const uint16 = (v: number): number => Math.min(0xffff, Math.max(0, Math.round(v)));
const tenth = (v: number, max: number): number => Math.min(max, Math.max(0, Math.round(v * 10) / 10));

/**
 * What the edge would read from the device given the scenario's values: each device's resolution and range
 * (PMS5003 whole µg/m³ and its particle counts; SDS011 tenths up to 999.9). Cameras: `camera_online` from `down`.
 */
export function reportedValues(s: ScenarioSensor, values: MetricValues | undefined, down = false): Record<string, number> {
  switch (s.kind) {
    case 'pms5003': {
      const pm = { pm1: uint16(values?.pm1 ?? 0), pm25: uint16(values?.pm25 ?? 0), pm10: uint16(values?.pm10 ?? 0) };
      const counts = countsFromMass(pm);
      return { ...pm, ...Object.fromEntries(PMS5003_COUNT_METRICS.map((m, i) => [m, counts[i] ?? 0])) };
    }
    case 'sds011':
      return { pm25: tenth(values?.pm25 ?? 0, 999.9), pm10: tenth(values?.pm10 ?? 0, 999.9) };
    case 'camera':
      return { camera_online: down ? 0 : 1 };
    case 'modbus':
    case 'opcua-station':
      return Object.fromEntries(reportedMetrics(s).map((m) => [m, values?.[m] ?? 0]));
  }
}
