import {
  configError,
  configObject,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  requiredId,
  requiredString,
} from '../config-fields.js';

/** One PMS5003 / PMS7003 / PMSA003 on one serial port. See README.md and sample.jsonc. */
export interface Pms5003Config {
  readonly driver: 'pms5003';
  /** Instance id, unique within the gateway (logs, stats). */
  readonly id: string;
  /** Serial device, e.g. `/dev/ttyUSB0` or a stable `/dev/serial/by-id/…` link. */
  readonly port: string;
  /** Sensor id put on every reading. */
  readonly sensor: string;
  /** `active`: the sensor sends a frame about every second. `passive`: the agent asks every `intervalMs`. */
  readonly mode: 'active' | 'passive';
  /** Passive mode: period of read commands, ms. Unused in active mode. */
  readonly intervalMs: number;
  /** Also emit the six particle counts (pc_0_3 … pc_10, per 0.1 L). */
  readonly emitCounts: boolean;
  /** First delay before reopening a lost or absent port, ms; doubles up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
}

export const PMS5003_DEFAULTS = {
  mode: 'active',
  intervalMs: 1000,
  emitCounts: true,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
} as const;

const FIELDS = ['driver', 'id', 'port', 'sensor', 'mode', 'intervalMs', 'emitCounts', 'reconnectMinMs', 'reconnectMaxMs'];

/** Validates one raw input config (see DriverFactory.parseConfig). */
export function parsePms5003Config(raw: unknown, path: string): Pms5003Config {
  const obj = configObject(raw, path, FIELDS);
  if (obj.raw.driver !== 'pms5003') throw configError(`${path}.driver`, "must be 'pms5003'");
  const config: Pms5003Config = {
    driver: 'pms5003',
    id: requiredId(obj, 'id'),
    port: requiredString(obj, 'port'),
    sensor: requiredId(obj, 'sensor'),
    mode: optionalEnum(obj, 'mode', ['active', 'passive'], PMS5003_DEFAULTS.mode),
    intervalMs: optionalInteger(obj, 'intervalMs', 200, 3_600_000, PMS5003_DEFAULTS.intervalMs),
    emitCounts: optionalBoolean(obj, 'emitCounts', PMS5003_DEFAULTS.emitCounts),
    reconnectMinMs: optionalInteger(obj, 'reconnectMinMs', 10, 600_000, PMS5003_DEFAULTS.reconnectMinMs),
    reconnectMaxMs: optionalInteger(obj, 'reconnectMaxMs', 10, 3_600_000, PMS5003_DEFAULTS.reconnectMaxMs),
  };
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw configError(`${path}.reconnectMaxMs`, `must be at least reconnectMinMs (${config.reconnectMinMs})`);
  }
  return Object.freeze(config);
}
