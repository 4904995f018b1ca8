import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '@ioc/protocol';
import { drivers, type Driver } from '@ioc/edge';
import {
  CameraFleet, gasAnalyserUnit, ModbusSlaveSimulator, OpcuaStationServer, openPtyPair, Sds011Simulator, waterProbeUnit, weatherStationUnit,
  type ModbusRegisterDef, type PtyPair,
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
async function readWith(name: keyof typeof drivers, raw: Record<string, unknown>, want: number, all: Reading[] = []): Promise<Map<string, Reading>> {
  const got = new Map<string, Reading>();
  const factory = drivers[name] as (typeof drivers)['pms5003'];
  const serial = ['pms5003', 'sds011', 'modbus-rtu'].includes(name);
  driver = factory.create(factory.parseConfig(serial ? { ...raw, port: pty.hostPath } : raw, 'inputs[0]'), {
    sink: (rs) => rs.forEach((r) => { got.set(`${r.sensor}/${r.metric}`, r); all.push(r); }),
    log: quiet,
    now: () => NOW.getTime(),
  });
  await driver.start();
  for (let i = 0; i < 600 && got.size < want; i++) await new Promise((r) => setTimeout(r, 25));
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

describe('network devices read by the edge drivers', () => {
  it('OPC-UA station: value, SourceTimestamp and StatusCode become value, ts and quality', async () => {
    const station = new OpcuaStationServer({ pkiDir: path.join(dir, 'server-pki'), updateIntervalMs: 0, clock: () => NOW });
    await station.start();
    stops.push(() => station.stop());
    const measured = new Date(NOW.getTime() - 5 * 60_000);
    station.setValue('pm25', 87.5, { sourceTimestamp: measured });
    station.setValue('no2', 41.25, { status: 'UncertainLastUsableValue', sourceTimestamp: measured });
    const got = await readWith('opcua', {
      driver: 'opcua', id: 'station-1', endpoint: station.endpointUrl, pkiDir: path.join(dir, 'client-pki'), trustUnknownServerCertificate: true,
      samplingIntervalMs: 100, publishingIntervalMs: 100,
      nodes: [
        { nodeId: station.nodeId('pm25'), sensor: 'st-01', metric: 'pm25' },
        { nodeId: station.nodeId('no2'), sensor: 'st-01', metric: 'no2' },
      ],
    }, 2);
    expect(got.get('st-01/pm25')).toEqual({ sensor: 'st-01', metric: 'pm25', ts: measured.getTime(), value: 87.5, quality: 'good' });
    expect(got.get('st-01/no2')).toMatchObject({ value: 41.25, quality: 'uncertain', ts: measured.getTime() });
  }, 60_000);

  it('cameras: online while the RTSP responder answers, offline after the configured misses', async () => {
    const fleet = new CameraFleet({ cameras: [{ id: 'cam-up', protocols: 'rtsp' }, { id: 'cam-down', protocols: 'rtsp' }] });
    await fleet.start();
    stops.push(() => fleet.stop());
    const [up, down] = [fleet.camera('cam-up'), fleet.camera('cam-down')];
    const all: Reading[] = [];
    await readWith('camera', {
      driver: 'camera', id: 'cams', intervalMs: 100, missedHeartbeats: 2, timeoutMs: 80,
      cameras: [{ id: 'cam-up', probe: 'rtsp', host: up.host, port: up.rtspPort }, { id: 'cam-down', probe: 'rtsp', host: down.host, port: down.rtspPort }],
    }, 2, all);
    const seq = (id: string) => all.filter((r) => r.sensor === id).map((r) => r.value);
    const waitFor = async (id: string, n: number) => {
      for (let i = 0; i < 400 && seq(id).length < n; i++) await new Promise((r) => setTimeout(r, 25));
    };
    await waitFor('cam-down', 1);
    expect(seq('cam-down')[0]).toBe(1);
    await fleet.setUp('cam-down', false);
    const before = seq('cam-down').length;
    await waitFor('cam-down', before + 4);
    // After the switch: online for at most one probe already in flight plus the first miss (N = 2), then offline.
    const after = seq('cam-down').slice(before, before + 4);
    const ones = after.indexOf(0);
    expect(ones).toBeGreaterThanOrEqual(1);
    expect(ones).toBeLessThanOrEqual(2);
    expect(after.slice(ones)).toEqual(after.slice(ones).map(() => 0));
    expect(seq('cam-up').every((v) => v === 1)).toBe(true);
    expect(all.every((r) => r.metric === 'camera_online')).toBe(true);
  });
});
