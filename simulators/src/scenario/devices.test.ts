// Every device kind a scenario can place, started by the runner and questioned by an independent client written
// here (a Modbus master of a few lines, raw RTSP and HTTP, a node-opcua client): the answers carry the scenario's
// values at scenario time, and faults reach the devices when the schedule says.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ua from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTtyPort, type TtyPort } from '../serial/tty-port.js';
import { ManualClock } from './clock.js';
import type { RunningDevice } from './devices.js';
import { parseScenarioYaml } from './load.js';
import { runScenario, type RunningScenario } from './runner.js';

const ORIGIN = Date.UTC(2025, 11, 15, 1); // 08:00 in Hà Nội
const MIN = 60_000;

const SCENARIO = `
id: devices
name: { vi: Thiết bị, en: Devices }
seed: 11
profiles:
  gas:
    co: { base: 1500, noise: 0.05 }
    no2: { base: 40, noise: 0.1 }
    so2: { base: 15, noise: 0.1 }
    o3: { base: 60, noise: 0.1 }
  station:
    pm25: { base: 55, noise: 0.1 }
    pm10: { ratioOf: pm25, ratio: 1.8 }
    co: { base: 1400 }
    no2: { base: 35 }
    so2: { base: 14 }
    o3: { base: 50 }
    temperature: { base: 18, noiseAbs: 0.5, decimals: 1 }
    humidity: { base: 80, noiseAbs: 2, max: 100 }
sites:
  - id: s
    name: { vi: s, en: s }
    district: Phủ Lý
    lat: 20.54
    lon: 105.91
    gateways:
      - id: gw
        sensors:
          - { id: gas-01, device: modbus, registerMap: gas, unit: 5, profile: gas }
          - { id: station-01, device: opcua-station, profile: station }
          - { id: cam-01, device: camera }
          - { id: cam-02, device: camera, protocol: http }
faults:
  - { kind: camera-down, gateway: gw, sensor: cam-01, when: { after: 10m, for: 5m } }
  - { kind: bad-checksum, gateway: gw, sensor: gas-01, when: { after: 20m, for: 5m }, rate: 1 }
`;

let dir: string;
let run: RunningScenario;
const real = new ManualClock(0);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-devices-'));
  run = await runScenario(parseScenarioYaml(SCENARIO), { runDir: dir, clock: real, startMs: ORIGIN });
});

afterAll(async () => {
  await run?.stop();
  await rm(dir, { recursive: true, force: true });
});

const device = (id: string): RunningDevice => {
  const d = run.gateways[0]?.devices.find((x) => x.sensor.sensor.id === id);
  if (!d) throw new Error(`no device ${id}`);
  return d;
};

/** CRC-16/MODBUS, from the spec (poly 0xA001 reflected, init 0xFFFF), low byte first on the wire. */
function crc16(bytes: Buffer): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

async function modbusRead(port: TtyPort, received: () => Buffer, unit: number, fn: number, address: number, count: number): Promise<Buffer> {
  const req = Buffer.alloc(8);
  req.writeUInt8(unit, 0);
  req.writeUInt8(fn, 1);
  req.writeUInt16BE(address, 2);
  req.writeUInt16BE(count, 4);
  req.writeUInt16LE(crc16(req.subarray(0, 6)), 6);
  await port.write(req);
  const length = 5 + 2 * count;
  for (let i = 0; i < 300 && received().length < length; i++) await new Promise((r) => setTimeout(r, 10));
  return received().subarray(0, length);
}

describe('scenario devices', () => {
  it('cameras answer RTSP OPTIONS and HTTP status, and refuse connections in their down window', async () => {
    const rtsp = device('cam-01').endpoint;
    const http = device('cam-02').endpoint;
    if (rtsp.kind !== 'camera' || http.kind !== 'camera') throw new Error('not cameras');
    const options = (): Promise<string> =>
      new Promise((resolve) => {
        const s = net.connect(rtsp.port, rtsp.host, () => s.write(`OPTIONS rtsp://${rtsp.host}:${rtsp.port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
        s.on('data', (d) => {
          resolve(d.toString().split('\r\n')[0] ?? '');
          s.destroy();
        });
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    expect(await options()).toBe('RTSP/1.0 200 OK');
    expect((await fetch(http.url!)).status).toBe(200);
    real.advance(10 * MIN); // faults[0]: cam-01 down from 10 to 15 min
    await run.idle();
    expect(await options()).toBe('ECONNREFUSED');
    expect((await fetch(http.url!)).status).toBe(200); // the other camera is up
    real.advance(5 * MIN);
    await run.idle();
    expect(await options()).toBe('RTSP/1.0 200 OK');
  });

  it('a Modbus gas analyser answers with the scenario’s values in its register map, with a valid CRC', async () => {
    const d = device('gas-01');
    expect(d.endpoint).toMatchObject({ kind: 'serial', path: join(dir, 'gw', 'gas-01'), modbus: { unitId: 5 } });
    const port = await openTtyPort(join(dir, 'gw', 'gas-01'));
    let chunks: Buffer[] = [];
    port.onData((c) => chunks.push(c));
    try {
      const res = await modbusRead(port, () => Buffer.concat(chunks), 5, 4, 0, 7);
      expect(res.subarray(0, 3)).toEqual(Buffer.from([5, 4, 14]));
      expect(res.readUInt16LE(17)).toBe(crc16(res.subarray(0, 17)));
      const v = run.values.valuesAt('gw/gas-01', run.clock.now()); // the fake clock stands still while we ask
      expect(res.readFloatBE(3)).toBeCloseTo(v.no2!, 4);
      expect(res.readFloatBE(7)).toBeCloseTo(v.so2!, 4);
      expect(res.readFloatBE(11)).toBeCloseTo(v.o3!, 4);
      expect(res.readUInt16BE(15)).toBe(Math.round(v.co! / 11.456)); // 0.01 ppm counts

      real.advance(5 * MIN); // 20 min: bad-checksum at rate 1, every reply spoiled
      await run.idle();
      chunks = [];
      const spoiled = await modbusRead(port, () => Buffer.concat(chunks), 5, 4, 0, 7);
      expect(spoiled.length).toBe(19);
      expect(spoiled.readUInt16LE(17)).not.toBe(crc16(spoiled.subarray(0, 17)));
      real.advance(5 * MIN);
      await run.idle();
      chunks = [];
      const again = await modbusRead(port, () => Buffer.concat(chunks), 5, 4, 0, 7);
      expect(again.readUInt16LE(17)).toBe(crc16(again.subarray(0, 17)));
    } finally {
      await port.close();
    }
  });

  it('an OPC-UA station serves the scenario’s values on the nodes the runner reports', async () => {
    const d = device('station-01');
    if (d.endpoint.kind !== 'opcua') throw new Error('not opcua');
    const ua: typeof Ua = await import('node-opcua');
    const client = ua.OPCUAClient.create({
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0 },
      clientCertificateManager: new ua.OPCUACertificateManager({ rootFolder: join(dir, 'client-pki'), automaticallyAcceptUnknownCertificate: true }),
    });
    await client.connect(d.endpoint.url);
    const session = await client.createSession();
    try {
      const pm25 = d.endpoint.nodes.find((n) => n.metric === 'pm25')!;
      const humidity = d.endpoint.nodes.find((n) => n.metric === 'humidity')!;
      // Values follow scenario time (the fake clock stands still); SourceTimestamps are the wall clock's, never
      // the scenario's (which is a year earlier here). The server takes new values once a second.
      const v = run.values.valuesAt('gw/station-01', run.clock.now());
      const readBoth = () => session.read([pm25, humidity].map((n) => ({ nodeId: n.nodeId, attributeId: ua.AttributeIds.Value })));
      let [a, b] = await readBoth();
      for (let i = 0; i < 100 && Math.abs((a!.value.value as number) - v.pm25!) > 1e-6; i++) {
        await new Promise((r) => setTimeout(r, 50));
        [a, b] = await readBoth();
      }
      expect(a!.value.value).toBeCloseTo(v.pm25!, 6);
      expect(b!.value.value).toBeCloseTo(v.humidity!, 6);
      expect(Math.abs(a!.sourceTimestamp!.getTime() - Date.now())).toBeLessThan(60_000);
      expect(d.endpoint.nodes.map((n) => n.metric)).toEqual(['pm25', 'pm10', 'co', 'no2', 'so2', 'o3', 'temperature', 'humidity']);
    } finally {
      await session.close();
      await client.disconnect();
    }
  });

  it('left no device kind unsupported', () => {
    expect(run.unsupported).toEqual([]);
  });
});
