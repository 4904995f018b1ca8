import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModbusRtuConfig } from './config.js';

const register = { metric: 'temperature', function: 3, address: 1, type: 'int16', scale: 0.1 };
const device = { unitId: 2, sensor: 'hn-weather-01', registers: [register] };
const minimal = { driver: 'modbus-rtu', id: 'rs485-1', port: '/dev/ttyUSB0', devices: [device] };

function errorOf(raw: unknown): { code?: unknown; message: string } {
  try {
    parseModbusRtuConfig(raw, 'inputs[2]');
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected parseModbusRtuConfig to throw');
}

const withRegister = (extra: Record<string, unknown>): unknown => ({ ...minimal, devices: [{ ...device, registers: [{ ...register, ...extra }] }] });
const withDevice = (extra: Record<string, unknown>): unknown => ({ ...minimal, devices: [{ ...device, ...extra }] });

describe('parseModbusRtuConfig', () => {
  it('applies the documented defaults and freezes the result, deeply', () => {
    const config = parseModbusRtuConfig(minimal, 'inputs[2]');
    expect(config).toEqual({
      ...minimal,
      baudRate: 9600,
      parity: 'even',
      stopBits: 1,
      timeoutMs: 1000,
      retries: 1,
      intervalMs: 10_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
      devices: [{ ...device, maxRegistersPerRead: 125, registers: [{ ...register, wordOrder: 'big', offset: 0 }] }],
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.devices[0]?.registers[0])).toBe(true);
  });

  it('uses 2 stop bits with parity none unless told otherwise (11 bits per character)', () => {
    expect(parseModbusRtuConfig({ ...minimal, parity: 'none' }, 'x').stopBits).toBe(2);
    expect(parseModbusRtuConfig({ ...minimal, parity: 'none', stopBits: 1 }, 'x').stopBits).toBe(1);
    expect(parseModbusRtuConfig({ ...minimal, parity: 'odd' }, 'x').stopBits).toBe(1);
  });

  it.each([
    [{ ...minimal, port: undefined }, 'inputs[2].port: is required'],
    [{ ...minimal, baudRate: 9601 }, 'inputs[2].baudRate: must be one of 1200, 2400, 4800, 9600, 19200'],
    [{ ...minimal, parity: 'E' }, "inputs[2].parity: must be one of 'none', 'even', 'odd'"],
    [{ ...minimal, stopBits: 1.5 }, 'inputs[2].stopBits: must be one of 1, 2'],
    [{ ...minimal, timeoutMs: 0 }, 'inputs[2].timeoutMs: must be between 10 and 60000'],
    [{ ...minimal, retries: 9 }, 'inputs[2].retries: must be between 0 and 5'],
    [{ ...minimal, devices: [] }, 'inputs[2].devices: must have at least 1 item'],
    [{ ...minimal, devices: {} }, 'inputs[2].devices: must be an array'],
    [withDevice({ unitId: 0 }), 'inputs[2].devices[0].unitId: must be between 1 and 247'],
    [withDevice({ unitId: 248 }), 'inputs[2].devices[0].unitId: must be between 1 and 247'],
    [withDevice({ unitId: undefined }), 'inputs[2].devices[0].unitId: is required'],
    [withDevice({ sensor: 'Trạm 1' }), 'inputs[2].devices[0].sensor: "Trạm 1" is not a valid id'],
    [withDevice({ maxRegistersPerRead: 126 }), 'inputs[2].devices[0].maxRegistersPerRead: must be between 1 and 125'],
    [withDevice({ registers: [] }), 'inputs[2].devices[0].registers: must have at least 1 item'],
    [withDevice({ unit: 3 }), 'inputs[2].devices[0].unit: unknown field'],
    [withRegister({ metric: 'temp' }), 'inputs[2].devices[0].registers[0].metric: "temp" is not a known metric'],
    [withRegister({ metric: 'CO' }), 'inputs[2].devices[0].registers[0].metric: "CO" is not a known metric'],
    [withRegister({ function: 6 }), 'inputs[2].devices[0].registers[0].function: must be one of 3, 4'],
    [withRegister({ function: undefined }), 'inputs[2].devices[0].registers[0].function: is required'],
    [withRegister({ address: 65536 }), 'inputs[2].devices[0].registers[0].address: must be between 0 and 65535'],
    [withRegister({ address: 65535, type: 'float32' }), 'inputs[2].devices[0].registers[0].address: a float32 needs 2 registers'],
    [withRegister({ type: 'float' }), "inputs[2].devices[0].registers[0].type: must be one of 'int16', 'uint16', 'int32', 'uint32', 'float32'"],
    [withRegister({ type: undefined }), 'inputs[2].devices[0].registers[0].type: is required'],
    [withRegister({ wordOrder: 'CDAB' }), "inputs[2].devices[0].registers[0].wordOrder: must be one of 'big', 'little'"],
    [withRegister({ scale: '0.1' }), 'inputs[2].devices[0].registers[0].scale: must be a number'],
    [withRegister({ scale: 0 }), 'inputs[2].devices[0].registers[0].scale: must not be 0'],
    [withRegister({ offset: null }), 'inputs[2].devices[0].registers[0].offset: must be a number'],
    [withRegister({ unit: '°C' }), 'inputs[2].devices[0].registers[0].unit: unknown field'],
    [{ ...minimal, devices: [device, { ...device, sensor: 'other' }] }, 'inputs[2].devices[1].unitId: unit 2 is already used by devices[0]'],
    [
      { ...minimal, devices: [{ ...device, registers: [register, { ...register, address: 7 }] }] },
      'inputs[2].devices[0].registers[1].metric: hn-weather-01/temperature is already read by devices[0].registers[0]',
    ],
    [{ ...minimal, driver: 'modbus' }, "inputs[2].driver: must be 'modbus-rtu'"],
  ])('rejects %j naming the path', (raw, message) => {
    const err = errorOf(raw);
    expect(err.code).toBe('IOC_ERR_CONFIG');
    expect(err.message).toContain(message);
  });
});

describe('sample.jsonc', () => {
  const text = readFileSync(new URL('./sample.jsonc', import.meta.url), 'utf8');
  /** Drops comment lines; with `uncomment`, first turns the commented-out `// , "field": value` lines into JSON. */
  const parseSample = (uncomment: boolean): unknown =>
    JSON.parse(
      text
        .split('\n')
        .map((line) => (uncomment ? line.replace(/^(\s*)\/\/ (, ".*)$/, '$1$2').replace(/^(\s*)\/\/ ("maxRegistersPerRead".*)$/, '$1$2') : line))
        .filter((line) => !line.trim().startsWith('//'))
        .join('\n'),
    );

  it('is a valid config with the gas, weather and water devices, and every commented field shows its default', () => {
    const plain = parseModbusRtuConfig(parseSample(false), 'sample');
    expect(plain.devices.map((d) => d.registers.map((r) => r.metric))).toEqual([
      ['no2', 'so2', 'o3', 'co'],
      ['humidity', 'temperature', 'pressure', 'wind_speed', 'wind_direction', 'rainfall'],
      ['water_ph', 'water_do', 'water_turbidity'],
    ]);
    const everyField = parseSample(true) as Record<string, unknown>;
    expect(Object.keys(everyField).sort()).toEqual(Object.keys(plain).sort()); // no top-level field undocumented
    expect(JSON.stringify(everyField)).toContain('"maxRegistersPerRead":125');
    expect(JSON.stringify(everyField)).toContain('"wordOrder":"big","scale":1,"offset":0');
    expect(parseModbusRtuConfig(everyField, 'sample')).toEqual(plain);
  });
});
