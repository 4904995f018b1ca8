import type { ModbusRegisterDef, ModbusValueType, ModbusWordOrder } from '../devices/modbus/registers.js';
import type { ModbusUnitDef } from '../devices/modbus/simulator.js';
import type { ModbusMapName } from './metrics.js';

/** One register of a simulated Modbus device and the metric it carries: metric value = raw · scale. */
export interface ScenarioRegister {
  readonly metric: string;
  /** 3 = holding register, 4 = input register. */
  readonly function: 3 | 4;
  /** 0-based protocol address. */
  readonly address: number;
  readonly type: ModbusValueType;
  readonly wordOrder: ModbusWordOrder;
  readonly scale: number;
}

const reg = (metric: string, fn: 3 | 4, address: number, type: ModbusValueType, scale = 1, wordOrder: ModbusWordOrder = 'big'): ScenarioRegister => ({
  metric,
  function: fn,
  address,
  type,
  wordOrder,
  scale,
});

/**
 * The register maps of the scenario's Modbus devices: those of the edge modbus-rtu driver's sample.jsonc and of
 * devices/modbus/profiles.ts (gas analyser, weather station, water probe), so a technician's sample config reads them.
 */
export const MODBUS_REGISTER_MAPS: Readonly<Record<ModbusMapName, readonly ScenarioRegister[]>> = {
  gas: [
    reg('no2', 4, 0, 'float32'),
    reg('so2', 4, 2, 'float32'),
    reg('o3', 4, 4, 'float32'),
    // CO in 0.01 ppm: 0.01 × 28.01 × 1000 / 24.45 = 11.456 µg/m³ per count.
    reg('co', 4, 6, 'uint16', 11.456),
  ],
  weather: [
    reg('humidity', 3, 0, 'uint16', 0.1),
    reg('temperature', 3, 1, 'int16', 0.1),
    reg('pressure', 3, 2, 'uint16', 0.1),
    reg('wind_speed', 3, 3, 'uint16', 0.1),
    reg('wind_direction', 3, 4, 'uint16'),
    reg('rainfall', 3, 5, 'uint32', 0.1, 'little'),
  ],
  water: [
    reg('water_ph', 3, 0, 'float32', 1, 'little'),
    reg('water_do', 3, 2, 'float32', 1, 'little'),
    reg('water_turbidity', 3, 4, 'float32', 1, 'little'),
  ],
};

/** A slave answering `map` at `unitId`, each register's value read from `valueOf(metric)` at every request. */
export function modbusUnit(unitId: number, map: readonly ScenarioRegister[], valueOf: (metric: string) => number): ModbusUnitDef {
  const def = (r: ScenarioRegister): ModbusRegisterDef => ({
    address: r.address,
    type: r.type,
    wordOrder: r.wordOrder,
    scale: r.scale,
    value: () => valueOf(r.metric),
  });
  return {
    unitId,
    holding: map.filter((r) => r.function === 3).map(def),
    input: map.filter((r) => r.function === 4).map(def),
  };
}
