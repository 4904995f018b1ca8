// Which metrics each simulated device reports. Metric names are those of the wire contract's catalogue
// (docs/protocol.md); simulators do not import @ioc/protocol, and a test of the CLI checks these names against it.

/** Device kinds a scenario can place at a gateway. */
export const DEVICE_KINDS = ['pms5003', 'sds011', 'modbus', 'opcua-station', 'camera'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Register maps of the simulated Modbus RTU slaves. */
export const MODBUS_MAPS = ['gas', 'weather', 'water'] as const;
export type ModbusMapName = (typeof MODBUS_MAPS)[number];

/** Every metric name a scenario profile may define (the catalogue's, in its units). */
export const SCENARIO_METRICS = [
  'pm1', 'pm25', 'pm10', 'tsp', 'co', 'no2', 'so2', 'o3', 'temperature', 'humidity', 'pressure', 'noise',
  'wind_speed', 'wind_direction', 'rainfall', 'water_ph', 'water_do', 'water_turbidity',
] as const;

/** Metrics a Modbus slave of each register map reports, in the catalogue's units. */
export const MODBUS_MAP_METRICS: Readonly<Record<ModbusMapName, readonly string[]>> = {
  gas: ['co', 'no2', 'so2', 'o3'],
  weather: ['temperature', 'humidity', 'pressure', 'wind_speed', 'wind_direction', 'rainfall'],
  water: ['water_ph', 'water_do', 'water_turbidity'],
};

/** The variables of the simulated OPC-UA station's data logger (devices/opcua-station). */
export const OPCUA_STATION_METRICS = ['pm25', 'pm10', 'co', 'no2', 'so2', 'o3', 'temperature', 'humidity'] as const;

/** Metrics the profile of a sensor must define: what the device measures. */
export function requiredMetrics(kind: DeviceKind, registerMap?: ModbusMapName): readonly string[] {
  switch (kind) {
    case 'pms5003':
      return ['pm1', 'pm25', 'pm10'];
    case 'sds011':
      return ['pm25', 'pm10'];
    case 'modbus':
      return registerMap ? MODBUS_MAP_METRICS[registerMap] : [];
    case 'opcua-station':
      return OPCUA_STATION_METRICS;
    case 'camera':
      return [];
  }
}

/** The six PMS5003 particle-count metrics (per 0.1 L), derived from the mass concentrations. */
export const PMS5003_COUNT_METRICS = ['pc_0_3', 'pc_0_5', 'pc_1_0', 'pc_2_5', 'pc_5_0', 'pc_10'] as const;

/** Device kinds on a serial line (behind a line tap: dropouts, garbage, bad checksums, unplugging). */
export const SERIAL_KINDS: readonly DeviceKind[] = ['pms5003', 'sds011', 'modbus'];
