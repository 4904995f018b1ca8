// Register maps of three typical RS-485 devices of an air/water station, with plausible Hà Nội values that follow
// the time of day. They mirror the sample config of the edge's modbus-rtu driver (edge/src/drivers/modbus-rtu/
// sample.jsonc): same addresses, types, word orders and scales, so the two can be run against each other.
import type { ModbusUnitDef } from './simulator.js';

/** Hours since local midnight in Hà Nội (UTC+7), fractional. */
function localHour(now: Date): number {
  return ((now.getTime() / 3_600_000 + 7) % 24 + 24) % 24;
}

/** A daily wave between `min` and `max`, highest at local hour `peakHour`. */
function daily(min: number, max: number, peakHour: number): (now: Date) => number {
  return (now) => min + ((max - min) * (1 + Math.cos(((localHour(now) - peakHour) / 24) * 2 * Math.PI))) / 2;
}

/** µg/m³ per ppm of CO at 25 °C, 1 atm: 28.01 g/mol × 1000 / 24.45 L/mol. */
export const CO_UGM3_PER_PPM = 1145.6;

/**
 * Gas analyser: input registers (04) 0–5 NO2, SO2, O3 as float32 µg/m³ (high word first), 6 CO in 0.01 ppm
 * (uint16; the edge scales it by 11.456 to µg/m³).
 */
export function gasAnalyserUnit(unitId = 1): ModbusUnitDef {
  return {
    unitId,
    input: [
      { address: 0, type: 'float32', value: daily(25, 70, 8) }, // NO2, morning traffic
      { address: 2, type: 'float32', value: daily(8, 20, 9) }, // SO2
      { address: 4, type: 'float32', value: daily(20, 110, 14) }, // O3, afternoon sun
      { address: 6, type: 'uint16', scale: CO_UGM3_PER_PPM / 100, value: daily(600, 1800, 7) }, // CO µg/m³
    ],
  };
}

/**
 * Weather station: holding registers (03) 0 humidity (0.1 %), 1 temperature (int16, 0.1 °C), 2 pressure (0.1 hPa),
 * 3 wind speed (0.1 m/s), 4 wind direction (°), 5–6 rainfall (uint32, low word first, 0.1 mm).
 */
export function weatherStationUnit(unitId = 2): ModbusUnitDef {
  return {
    unitId,
    holding: [
      { address: 0, type: 'uint16', scale: 0.1, value: daily(62, 92, 5) },
      { address: 1, type: 'int16', scale: 0.1, value: daily(21, 31, 14) },
      { address: 2, type: 'uint16', scale: 0.1, value: daily(1009, 1015, 10) },
      { address: 3, type: 'uint16', scale: 0.1, value: daily(0.5, 4.5, 15) },
      { address: 4, type: 'uint16', value: (now) => Math.round(135 + 45 * Math.sin(localHour(now) / 3)) },
      { address: 5, type: 'uint32', wordOrder: 'little', scale: 0.1, value: 0 },
    ],
  };
}

/** Water-quality probe: holding registers (03) 0–5 pH, DO (mg/L), turbidity (NTU) as float32, low word first. */
export function waterProbeUnit(unitId = 3): ModbusUnitDef {
  return {
    unitId,
    holding: [
      { address: 0, type: 'float32', wordOrder: 'little', value: daily(6.9, 7.6, 15) },
      { address: 2, type: 'float32', wordOrder: 'little', value: daily(4.5, 8.0, 15) },
      { address: 4, type: 'float32', wordOrder: 'little', value: daily(8, 25, 3) },
    ],
  };
}
