// The camera driver in opcua mode: camera liveness from an NVR's boolean status nodes, through the opcua driver's
// OpcuaLink, against a real node-opcua server on a loopback port (one server for the file).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@ioc/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { startTestServer, type TestOpcuaServer } from '../opcua/test-server.js';
import { harness, until } from '../opcua/test-support.js';

const T = Date.UTC(2025, 4, 1, 7, 0, 0);

let dir: string;
let server: TestOpcuaServer | undefined;
let driver: Driver | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-camera-nvr-'));
  server = await startTestServer({
    pkiDir: join(dir, 'server-pki'),
    variables: { 'NVR.cam-01.Online': 'Boolean', 'NVR.cam-02.Online': 'Boolean', 'NVR.cam-03.Online': 'String' },
  });
  server.set('NVR.cam-01.Online', true);
  server.set('NVR.cam-02.Online', true);
  server.set('NVR.cam-03.Online', 'yes');
});

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  reading: Reading;
  missed: number;
}

describe('camera driver, opcua mode (NVR status nodes)', () => {
  it('reports the NVR’s view, misses a heartbeat on false or Bad, and marks readings uncertain while the NVR is away', async () => {
    const h = harness(() => T);
    const seen: Seen[] = [];
    const config = drivers.camera.parseConfig(
      {
        driver: 'camera',
        id: 'nvr-1',
        mode: 'opcua',
        endpoint: server?.endpointUrl,
        pkiDir: join(dir, 'client-pki'),
        samplingIntervalMs: 20,
        publishingIntervalMs: 50,
        reconnectMinMs: 5000,
        reconnectMaxMs: 5000,
        intervalMs: 250,
        missedHeartbeats: 2,
        cameras: [
          { id: 'cam-01', nodeId: 'ns=1;s=NVR.cam-01.Online' },
          { id: 'cam-02', nodeId: 'ns=1;s=NVR.cam-02.Online' },
          { id: 'cam-03', nodeId: 'ns=1;s=NVR.cam-03.Online' },
        ],
      },
      'inputs[0]',
    );
    const d = drivers.camera.create(config, {
      ...h.ctx,
      sink: (readings) => {
        const stats = d.stats();
        for (const r of readings) seen.push({ reading: r, missed: stats[`${r.sensor}.missed`] ?? -1 });
      },
    });
    driver = d;
    await d.start();
    expect(d.stats()).toMatchObject({ connected: 1 });
    const of = (id: string): Seen[] => seen.filter((s) => s.reading.sensor === id);

    await until(() => of('cam-01').length >= 2 && of('cam-02').length >= 2, 'two periods online');
    expect(of('cam-01')[0]?.reading).toEqual({ sensor: 'cam-01', metric: 'camera_online', ts: T, value: 1, quality: 'good' });
    // A status that is not a boolean or a number is no heartbeat: cam-03 goes offline, and the odd value is counted.
    await until(() => of('cam-03').length >= 1, 'cam-03 offline');
    expect(of('cam-03')[0]).toMatchObject({ reading: { value: 0 }, missed: 2 });
    expect(d.stats().nonBoolean).toBeGreaterThanOrEqual(1);

    server?.set('NVR.cam-02.Online', false);
    const flipped = seen.length;
    await until(() => of('cam-02').some((s) => s.reading.value === 0), 'cam-02 offline');
    const cam2 = seen.slice(flipped).filter((s) => s.reading.sensor === 'cam-02');
    const firstMiss = cam2.findIndex((s) => s.missed === 1);
    expect(cam2.slice(firstMiss).slice(0, 2).map((s) => [s.reading.value, s.missed])).toEqual([
      [1, 1],
      [0, 2],
    ]);

    server?.set('NVR.cam-02.Online', true, 'BadCommunicationError'); // the NVR lost the camera: status Bad
    server?.set('NVR.cam-01.Online', true, 'BadCommunicationError');
    await until(() => of('cam-01').some((s) => s.reading.value === 0), 'cam-01 offline on a Bad status');
    expect(d.stats()).toMatchObject({ 'cam-02.online': 0 });

    server?.set('NVR.cam-01.Online', true, 'Good');
    const healed = seen.length;
    await until(() => seen.slice(healed).some((s) => s.reading.sensor === 'cam-01' && s.reading.value === 1), 'cam-01 back');

    await server?.stop(); // the NVR goes away: nobody can tell, every camera misses and readings turn uncertain
    server = undefined;
    await until(() => d.stats().connected === 0, 'the NVR loss');
    const lost = seen.length;
    await until(() => seen.slice(lost).some((s) => s.reading.sensor === 'cam-01' && s.reading.value === 0), 'cam-01 offline');
    const afterLoss = seen.slice(lost).filter((s) => s.reading.sensor === 'cam-01');
    expect(afterLoss.every((s) => s.reading.quality === 'uncertain')).toBe(true);
    expect(afterLoss.map((s) => s.reading.value)).toEqual([...Array.from({ length: afterLoss.length - 1 }, () => 1), 0]);
  });
});
