import { configError, configObject, optionalEnum, optionalInteger, requiredId, requiredString } from '../config-fields.js';

/** One Nova Fitness SDS011 on one serial port. See README.md and sample.jsonc. */
export interface Sds011Config {
  readonly driver: 'sds011';
  /** Instance id, unique within the gateway (logs, stats). */
  readonly id: string;
  /** Serial device, e.g. `/dev/ttyUSB0` or a stable `/dev/serial/by-id/…` link. */
  readonly port: string;
  /** Sensor id put on every reading. */
  readonly sensor: string;
  /** `active`: the sensor reports every second on its own. `query`: the agent asks every `intervalMs`. */
  readonly mode: 'active' | 'query';
  /** Query mode: period of query commands, ms. Unused in active mode. */
  readonly intervalMs: number;
  /** The sensor's working period, minutes: 0 = continuous, 1–30 = measure 30 s then sleep, once per period. */
  readonly workingPeriodMin: number;
  /** First delay before reopening a lost or absent port, ms; doubles up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
}

export const SDS011_DEFAULTS = {
  mode: 'active',
  intervalMs: 1000,
  workingPeriodMin: 0,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
} as const;

const FIELDS = ['driver', 'id', 'port', 'sensor', 'mode', 'intervalMs', 'workingPeriodMin', 'reconnectMinMs', 'reconnectMaxMs'];

/** Validates one raw input config (see DriverFactory.parseConfig). */
export function parseSds011Config(raw: unknown, path: string): Sds011Config {
  const obj = configObject(raw, path, FIELDS);
  if (obj.raw.driver !== 'sds011') throw configError(`${path}.driver`, "must be 'sds011'");
  const config: Sds011Config = {
    driver: 'sds011',
    id: requiredId(obj, 'id'),
    port: requiredString(obj, 'port'),
    sensor: requiredId(obj, 'sensor'),
    mode: optionalEnum(obj, 'mode', ['active', 'query'], SDS011_DEFAULTS.mode),
    intervalMs: optionalInteger(obj, 'intervalMs', 1000, 3_600_000, SDS011_DEFAULTS.intervalMs),
    workingPeriodMin: optionalInteger(obj, 'workingPeriodMin', 0, 30, SDS011_DEFAULTS.workingPeriodMin),
    reconnectMinMs: optionalInteger(obj, 'reconnectMinMs', 10, 600_000, SDS011_DEFAULTS.reconnectMinMs),
    reconnectMaxMs: optionalInteger(obj, 'reconnectMaxMs', 10, 3_600_000, SDS011_DEFAULTS.reconnectMaxMs),
  };
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw configError(`${path}.reconnectMaxMs`, `must be at least reconnectMinMs (${config.reconnectMinMs})`);
  }
  if (config.mode === 'query' && config.workingPeriodMin > 0) {
    // The sensor sleeps between its own measurements and would not answer most queries.
    throw configError(`${path}.workingPeriodMin`, "must be 0 in query mode (the agent's intervalMs sets the pace)");
  }
  return Object.freeze(config);
}
