import {
  configError,
  configObject,
  optionalEnum,
  optionalInteger,
  requiredArray,
  requiredId,
  requiredMetric,
  requiredString,
  type ConfigObject,
} from '../config-fields.js';
import type { SerialParity } from '../serial/serial-link.js';
import type { ReadFunction } from './frame.js';
import { MAX_READ_REGISTERS } from './frame.js';
import { REGISTER_TYPES, registerCount, type RegisterType, type WordOrder } from './registers.js';

/** One register (or register pair) mapped to one metric: value = raw · scale + offset, in the metric's unit. */
export interface ModbusRegisterConfig {
  /** Metric name of the catalogue (docs/protocol.md), e.g. `temperature`. */
  readonly metric: string;
  /** 3 = holding register, 4 = input register. */
  readonly function: ReadFunction;
  /** 0-based protocol address of the (first) register: a manual's 40001 or 30001 is 0. */
  readonly address: number;
  readonly type: RegisterType;
  /** 32-bit types: 'big' = high word first (ABCD), 'little' = low word first (CDAB). */
  readonly wordOrder: WordOrder;
  readonly scale: number;
  readonly offset: number;
}

/** One slave device on the bus. */
export interface ModbusDeviceConfig {
  /** Modbus unit (slave) address, 1 … 247. */
  readonly unitId: number;
  /** Sensor id put on this device's readings. */
  readonly sensor: string;
  /** Largest read the device accepts, registers (1 … 125). */
  readonly maxRegistersPerRead: number;
  readonly registers: readonly ModbusRegisterConfig[];
}

/** One RS-485 bus (one serial port) with its devices. See README.md and sample.jsonc. */
export interface ModbusRtuConfig {
  readonly driver: 'modbus-rtu';
  /** Instance id, unique within the gateway (logs, stats). */
  readonly id: string;
  /** Serial device of the RS-485 adapter. */
  readonly port: string;
  readonly baudRate: number;
  readonly parity: SerialParity;
  /** Default 1, or 2 with parity 'none' (MODBUS over Serial Line §2.5.1: 11 bits per character). */
  readonly stopBits: 1 | 2;
  /** How long to wait for a response, ms, counted from the end of the request. */
  readonly timeoutMs: number;
  /** Extra attempts after a timeout or CRC error, for a device that answered its previous poll. */
  readonly retries: number;
  /** Poll period, ms: every device is read once per period. */
  readonly intervalMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly devices: readonly ModbusDeviceConfig[];
}

export const MODBUS_RTU_DEFAULTS = {
  baudRate: 9600,
  parity: 'even',
  timeoutMs: 1000,
  retries: 1,
  intervalMs: 10_000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  maxRegistersPerRead: MAX_READ_REGISTERS,
  wordOrder: 'big',
  scale: 1,
  offset: 0,
} as const;

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

const FIELDS = [
  'driver', 'id', 'port', 'baudRate', 'parity', 'stopBits', 'timeoutMs', 'retries', 'intervalMs',
  'reconnectMinMs', 'reconnectMaxMs', 'devices',
];
const DEVICE_FIELDS = ['unitId', 'sensor', 'maxRegistersPerRead', 'registers'];
const REGISTER_FIELDS = ['metric', 'function', 'address', 'type', 'wordOrder', 'scale', 'offset'];

/** Validates one raw input config (see DriverFactory.parseConfig). */
export function parseModbusRtuConfig(raw: unknown, path: string): ModbusRtuConfig {
  const obj = configObject(raw, path, FIELDS);
  if (obj.raw.driver !== 'modbus-rtu') throw configError(`${path}.driver`, "must be 'modbus-rtu'");
  const parity = optionalEnum(obj, 'parity', ['none', 'even', 'odd'], MODBUS_RTU_DEFAULTS.parity);
  const config: ModbusRtuConfig = {
    driver: 'modbus-rtu',
    id: requiredId(obj, 'id'),
    port: requiredString(obj, 'port'),
    baudRate: integerChoice(obj, 'baudRate', BAUD_RATES, MODBUS_RTU_DEFAULTS.baudRate),
    parity,
    stopBits: integerChoice(obj, 'stopBits', [1, 2] as const, parity === 'none' ? 2 : 1),
    timeoutMs: optionalInteger(obj, 'timeoutMs', 10, 60_000, MODBUS_RTU_DEFAULTS.timeoutMs),
    retries: optionalInteger(obj, 'retries', 0, 5, MODBUS_RTU_DEFAULTS.retries),
    intervalMs: optionalInteger(obj, 'intervalMs', 100, 86_400_000, MODBUS_RTU_DEFAULTS.intervalMs),
    reconnectMinMs: optionalInteger(obj, 'reconnectMinMs', 10, 600_000, MODBUS_RTU_DEFAULTS.reconnectMinMs),
    reconnectMaxMs: optionalInteger(obj, 'reconnectMaxMs', 10, 3_600_000, MODBUS_RTU_DEFAULTS.reconnectMaxMs),
    devices: requiredArray(obj, 'devices', 1, 247).map((d, i) => parseDevice(d, `${path}.devices[${i}]`)),
  };
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw configError(`${path}.reconnectMaxMs`, `must be at least reconnectMinMs (${config.reconnectMinMs})`);
  }
  checkUnique(config.devices, path);
  return deepFreeze(config);
}

function parseDevice(raw: unknown, path: string): ModbusDeviceConfig {
  const obj = configObject(raw, path, DEVICE_FIELDS);
  return {
    unitId: requiredInteger(obj, 'unitId', 1, 247),
    sensor: requiredId(obj, 'sensor'),
    maxRegistersPerRead: optionalInteger(obj, 'maxRegistersPerRead', 1, MAX_READ_REGISTERS, MODBUS_RTU_DEFAULTS.maxRegistersPerRead),
    registers: requiredArray(obj, 'registers', 1, 1000).map((r, i) => parseRegister(r, `${path}.registers[${i}]`)),
  };
}

function parseRegister(raw: unknown, path: string): ModbusRegisterConfig {
  const obj = configObject(raw, path, REGISTER_FIELDS);
  const type = requiredEnum(obj, 'type', REGISTER_TYPES);
  const register: ModbusRegisterConfig = {
    metric: requiredMetric(obj, 'metric'),
    function: requiredChoice(obj, 'function', [3, 4] as const),
    address: requiredInteger(obj, 'address', 0, 0xffff),
    type,
    wordOrder: optionalEnum(obj, 'wordOrder', ['big', 'little'], MODBUS_RTU_DEFAULTS.wordOrder),
    scale: optionalFinite(obj, 'scale', MODBUS_RTU_DEFAULTS.scale),
    offset: optionalFinite(obj, 'offset', MODBUS_RTU_DEFAULTS.offset),
  };
  if (register.address + registerCount(type) - 1 > 0xffff) {
    throw configError(`${path}.address`, `a ${type} needs 2 registers: must be at most 65534`);
  }
  if (register.scale === 0) throw configError(`${path}.scale`, 'must not be 0');
  return register;
}

/** One device per unit id, and one register per (sensor, metric) on the bus: a point must have one source. */
function checkUnique(devices: readonly ModbusDeviceConfig[], path: string): void {
  const units = new Map<number, number>();
  const points = new Map<string, string>();
  devices.forEach((device, i) => {
    const earlier = units.get(device.unitId);
    if (earlier !== undefined) {
      throw configError(`${path}.devices[${i}].unitId`, `unit ${device.unitId} is already used by devices[${earlier}]`);
    }
    units.set(device.unitId, i);
    device.registers.forEach((register, j) => {
      const key = `${device.sensor}/${register.metric}`;
      const here = `devices[${i}].registers[${j}]`;
      const first = points.get(key);
      if (first !== undefined) throw configError(`${path}.${here}.metric`, `${key} is already read by ${first}`);
      points.set(key, here);
    });
  });
}

function requiredInteger(obj: ConfigObject, key: string, min: number, max: number): number {
  if (obj.raw[key] === undefined) throw configError(`${obj.path}.${key}`, 'is required');
  return optionalInteger(obj, key, min, max, min);
}

function requiredEnum<T extends string>(obj: ConfigObject, key: string, values: readonly T[]): T {
  if (obj.raw[key] === undefined) throw configError(`${obj.path}.${key}`, `is required (one of ${values.join(', ')})`);
  return optionalEnum(obj, key, values, values[0] as T);
}

function requiredChoice<T extends number>(obj: ConfigObject, key: string, values: readonly T[]): T {
  if (obj.raw[key] === undefined) throw configError(`${obj.path}.${key}`, `is required (one of ${values.join(', ')})`);
  return integerChoice(obj, key, values, values[0] as T);
}

/** One of the numbers `values`, or `fallback` when absent. */
function integerChoice<T extends number>(obj: ConfigObject, key: string, values: readonly T[], fallback: T): T {
  const value = obj.raw[key];
  if (value === undefined) return fallback;
  if (!(values as readonly unknown[]).includes(value)) throw configError(`${obj.path}.${key}`, `must be one of ${values.join(', ')}`);
  return value as T;
}

function optionalFinite(obj: ConfigObject, key: string, fallback: number): number {
  const value = obj.raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw configError(`${obj.path}.${key}`, 'must be a number');
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
