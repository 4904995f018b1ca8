// The station server (security None) seen by an independent node-opcua client written here, not the edge's driver.
// One server for the file: node-opcua takes ~1 s to initialise one.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ua from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationSample } from './profile.js';
import { OpcuaStationServer, STATION_VARIABLES, type StationVariable } from './server.js';

const T0 = new Date('2025-01-15T01:00:00.000Z');
const SAMPLE: StationSample = { pm25: 81, pm10: 140, co: 1850, no2: 52.5, so2: 14.2, o3: 18.7, temperature: 15.3, humidity: 82.4 };

let ua: typeof Ua;
let dir: string;
let now = T0;
let sim: OpcuaStationServer;
let client: Ua.OPCUAClient;
let session: Ua.ClientSession;

beforeAll(async () => {
  ua = await import('node-opcua');
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-sim-'));
  sim = new OpcuaStationServer({
    pkiDir: join(dir, 'server'),
    cameras: ['cam-01', 'cam-02'],
    clock: () => now,
    updateIntervalMs: 0,
    minimumSamplingIntervalMs: 20,
    source: (at) => ({ ...SAMPLE, pm25: SAMPLE.pm25 + (at.getTime() - T0.getTime()) / 60_000 }),
  });
  await sim.start();
  client = ua.OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
    clientCertificateManager: new ua.OPCUACertificateManager({ rootFolder: join(dir, 'client'), automaticallyAcceptUnknownCertificate: true }),
  });
  await client.connect(sim.endpointUrl);
  session = await client.createSession();
});

afterAll(async () => {
  await session?.close().catch(() => undefined);
  await client?.disconnect();
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function read(nodeId: string): Promise<Ua.DataValue> {
  return session.read({ nodeId, attributeId: ua.AttributeIds.Value }, 0);
}

describe('OpcuaStationServer (security None)', () => {
  it('listens on 127.0.0.1 only, on the port it chose', async () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.endpointUrl).toBe(`opc.tcp://127.0.0.1:${sim.port}`);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(sim.port, '127.0.0.2');
      socket.on('connect', () => resolve('connected'));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED'); // bound to 127.0.0.1 itself, not to every address
  });

  it('serves every station variable from the source, Good, stamped with the clock', async () => {
    for (const variable of Object.keys(STATION_VARIABLES) as StationVariable[]) {
      const dv = await read(sim.nodeId(variable));
      expect(dv.value.value).toBe(SAMPLE[variable]);
      expect(dv.value.dataType).toBe(ua.DataType.Double);
      expect(dv.statusCode.name).toBe('Good');
      expect(dv.sourceTimestamp?.getTime()).toBe(T0.getTime());
    }
    expect(sim.nodeId('pm25')).toBe('ns=1;s=Station1.PM25');
  });

  it('takes a new round of values at update(), with the new time', async () => {
    now = new Date(T0.getTime() + 10 * 60_000);
    const before = sim.stats().updates;
    sim.update();
    const dv = await read(sim.nodeId('pm25'));
    expect(dv.value.value).toBe(SAMPLE.pm25 + 10);
    expect(dv.sourceTimestamp?.getTime()).toBe(now.getTime());
    expect(sim.stats().updates).toBe(before + 1);
  });

  it('publishes setValue with its StatusCode and SourceTimestamp to a subscription', async () => {
    const subscription = await session.createSubscription2({ requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 60, publishingEnabled: true });
    const changes: Ua.DataValue[] = [];
    const item = await subscription.monitor(
      { nodeId: sim.nodeId('co'), attributeId: ua.AttributeIds.Value },
      { samplingInterval: 20, queueSize: 10, discardOldest: true },
      ua.TimestampsToReturn.Both,
    );
    item.on('changed', (dv: Ua.DataValue) => changes.push(dv));
    await until(() => changes.length === 1);
    const t1 = new Date('2025-01-15T02:03:04.567Z');
    sim.setValue('co', 2500, { status: 'UncertainLastUsableValue', sourceTimestamp: t1 });
    await until(() => changes.length === 2);
    expect(changes[1]?.value.value).toBe(2500);
    expect(changes[1]?.statusCode.name).toBe('UncertainLastUsableValue');
    expect(changes[1]?.sourceTimestamp?.getTime()).toBe(t1.getTime());
    await subscription.terminate();
  });

  it('holds a status set by setStatus across updates until cleared', async () => {
    sim.setStatus('no2', 'BadSensorFailure');
    expect((await read(sim.nodeId('no2'))).statusCode.name).toBe('BadSensorFailure');
    sim.update();
    const held = await read(sim.nodeId('no2'));
    expect(held.statusCode.name).toBe('BadSensorFailure');
    expect(held.value.value).toBe(SAMPLE.no2);
    expect((await read(sim.nodeId('so2'))).statusCode.name).toBe('Good');
    sim.setStatus('no2', undefined);
    sim.update();
    expect((await read(sim.nodeId('no2'))).statusCode.name).toBe('Good');
  });

  it('has an NVR folder with a settable boolean Online and a LastSeen time per camera', async () => {
    expect((await read(sim.cameraNodeId('cam-01'))).value.value).toBe(true);
    now = new Date(T0.getTime() + 3_600_000);
    sim.setCameraOnline('cam-01', true);
    sim.setCameraOnline('cam-02', false);
    const online = await read(sim.cameraNodeId('cam-02'));
    expect(online.value.value).toBe(false);
    expect(online.value.dataType).toBe(ua.DataType.Boolean);
    const seen1 = await read(sim.cameraNodeId('cam-01', 'LastSeen'));
    const seen2 = await read(sim.cameraNodeId('cam-02', 'LastSeen'));
    expect((seen1.value.value as Date).getTime()).toBe(now.getTime());
    expect((seen2.value.value as Date).getTime()).toBeLessThan(now.getTime()); // not seen since it went down
    sim.setCameraOnline('cam-02', true, { status: 'BadCommunicationError' });
    expect((await read(sim.cameraNodeId('cam-02'))).statusCode.name).toBe('BadCommunicationError');
  });

  it('refuses unknown names with stable codes', () => {
    expect(() => sim.setValue('pm25', 1, { status: 'Excellent' })).toThrow(expect.objectContaining({ code: 'IOC_ERR_SIM_STATUS' }));
    expect(() => sim.setCameraOnline('cam-99', true)).toThrow(expect.objectContaining({ code: 'IOC_ERR_SIM_UNKNOWN' }));
    const idle = new OpcuaStationServer({ pkiDir: join(dir, 'unused') });
    expect(() => idle.update()).toThrow(expect.objectContaining({ code: 'IOC_ERR_SIM_STATE' }));
    expect(() => new OpcuaStationServer({ pkiDir: dir, stationName: 'Trạm 1' })).toThrow(RangeError);
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
