import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '@ioc/protocol';
import { drivers, type Driver } from '@ioc/edge';
import {
  gasAnalyserUnit, ModbusSlaveSimulator, openPtyPair, Sds011Simulator, waterProbeUnit, weatherStationUnit, type ModbusRegisterDef, type PtyPair,
} from '@ioc/simulators';

/**
 * Each virtual device against the edge driver that reads it in the field, over a real socat pty pair.
 * They share no code (the simulator encodes from the spec, the driver decodes from it): the composition
 * root is the only place they meet, so it is where this is proven.
 */
const NOW = new Date(Date.UTC(2026, 10, 26, 1, 30)); // 08:30 in Hà Nội
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
let pty: PtyPair;
let driver: Driver | undefined;
const stops: (() => Promise<void>)[] = [];
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-devices-'));
  pty = await openPtyPair(dir);
});
afterEach(async () => {
  await driver?.stop();
  for (const stop of stops.splice(0)) await stop();
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts an edge driver on the host end; resolves with the first readings once `want` metrics arrived. */
async function readWith(name: keyof typeof drivers, raw: Record<string, unknown>, want: number): Promise<Map<string, Reading>> {
  const got = new Map<string, Reading>();
  const factory = drivers[name] as (typeof drivers)['pms5003'];
  driver = factory.create(factory.parseConfig({ ...raw, port: pty.hostPath }, 'inputs[0]'), {
    sink: (rs) => rs.forEach((r) => got.set(`${r.sensor}/${r.metric}`, r)),
    log: quiet,
    now: () => NOW.getTime(),
  });
  await driver.start();
  for (let i = 0; i < 200 && got.size < want; i++) await new Promise((r) => setTimeout(r, 25));
  return got;
}

describe('simulators read by the edge drivers', () => {
  it('SDS011: the simulated dust reaches the driver exactly (0.1 µg/m³ resolution)', async () => {
    const sim = new Sds011Simulator({ path: pty.devicePath, intervalMs: 100, source: () => ({ pm25: 57.3, pm10: 91.8 }), clock: () => NOW });
    await sim.start();
    stops.push(() => sim.stop());
    const got = await readWith('sds011', { driver: 'sds011', id: 'sds-1', sensor: 'pm-02' }, 2);
    expect(got.get('pm-02/pm25')).toMatchObject({ value: 57.3, ts: NOW.getTime(), quality: 'good' });
    expect(got.get('pm-02/pm10')?.value).toBe(91.8);
  });

  it('Modbus RTU: the gas analyser, weather station and water probe of the driver’s own sample config', async () => {
    const units = [gasAnalyserUnit(1), weatherStationUnit(2), waterProbeUnit(3)];
    const sim = new ModbusSlaveSimulator({ path: pty.devicePath, units, clock: () => NOW });
    await sim.start();
    stops.push(() => sim.stop());
    const sampleFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../edge/src/drivers/modbus-rtu/sample.jsonc');
    const sample = JSON.parse(readFileSync(sampleFile, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
    const got = await readWith('modbus-rtu', { ...sample, intervalMs: 200, timeoutMs: 300 }, 13);

    // What each register holds at NOW, as the simulator's map defines it (value in engineering units).
    const expected = (def: ModbusRegisterDef): number => (typeof def.value === 'function' ? def.value(NOW) : def.value);
    const check = (key: string, def: ModbusRegisterDef, tolerance: number): void => {
      expect(got.get(key)?.value, key).toBeCloseTo(expected(def), tolerance);
    };
    const [gas, weather, water] = units.map((u) => [...(u.input ?? []), ...(u.holding ?? [])]) as [ModbusRegisterDef[], ModbusRegisterDef[], ModbusRegisterDef[]];
    check('hn-gas-01/no2', gas[0]!, 3);
    check('hn-gas-01/so2', gas[1]!, 3);
    check('hn-gas-01/o3', gas[2]!, 3);
    expect(Math.abs(got.get('hn-gas-01/co')!.value - expected(gas[3]!))).toBeLessThanOrEqual(11.456); // one uint16 step
    check('hn-weather-01/humidity', weather[0]!, 0);
    check('hn-weather-01/temperature', weather[1]!, 0);
    check('hn-weather-01/pressure', weather[2]!, 0);
    check('hn-weather-01/wind_direction', weather[4]!, 5);
    expect(got.get('hn-weather-01/rainfall')?.value).toBe(0);
    check('hn-water-01/water_ph', water[0]!, 3);
    check('hn-water-01/water_do', water[1]!, 3);
    check('hn-water-01/water_turbidity', water[2]!, 3);
    expect(got.size).toBe(13);
  });
});
