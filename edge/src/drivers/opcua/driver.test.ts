// The driver against a real node-opcua server on a loopback port (one server for the whole file: it takes ~1 s to
// initialise). Security: None, and SignAndEncrypt/Basic256Sha256 with a user name and password.
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@ioc/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { startTestServer, type TestOpcuaServer } from './test-server.js';
import { harness, sleep, until, type Harness } from './test-support.js';

const T1 = new Date('2025-03-01T07:00:00.123Z');
const T2 = new Date('2025-03-01T07:00:01.456Z');

let dir: string;
let server: TestOpcuaServer;
let driver: Driver | undefined;
let pkiCount = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-drv-'));
  server = await startTestServer({
    pkiDir: join(dir, 'server-pki'),
    users: { technician: 'đúng-mật-khẩu' },
    variables: {
      'Station1.PM25': 'Double',
      'Station1.PM10': 'Double',
      'Station1.Pump': 'Boolean',
      'Station1.Label': 'String',
      'Station1.Count': 'Int64',
    },
  });
  server.set('Station1.PM25', 41.5, 'Good', T1);
  server.set('Station1.PM10', 70, 'Good', T1);
  server.set('Station1.Pump', true, 'Good', T1);
  server.set('Station1.Label', 'trạm 1', 'Good', T1);
  server.set('Station1.Count', [0, 1234], 'Good', T1);
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
});

/**
 * A client PKI folder never used before: it has not seen the server's certificate yet (and makes its own key pair, an
 * RSA key generation, so tests share one folder unless they need a fresh one).
 */
function freshPki(): string {
  pkiCount += 1;
  return join(dir, `client-pki-${pkiCount}`);
}

function makeDriver(h: Harness, extra: Record<string, unknown> = {}): Driver {
  const raw = {
    driver: 'opcua',
    id: 'station-1',
    endpoint: server.endpointUrl,
    pkiDir: join(dir, 'client-pki'),
    samplingIntervalMs: 20,
    publishingIntervalMs: 50,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    nodes: [
      { nodeId: 'ns=1;s=Station1.PM25', sensor: 'hn-st1', metric: 'pm25' },
      { nodeId: 'ns=1;s=Station1.PM10', sensor: 'hn-st1', metric: 'pm10' },
    ],
    ...extra,
  };
  return drivers.opcua.create(drivers.opcua.parseConfig(raw, 'inputs[0]'), h.ctx);
}

const reading = (metric: string, value: number, ts: Date, quality: Reading['quality'] = 'good'): Reading => ({
  sensor: 'hn-st1',
  metric,
  ts: ts.getTime(),
  value,
  quality,
});

describe('opcua driver against a real node-opcua server', () => {
  it('subscribes and reports each value with its SourceTimestamp as ts', async () => {
    const h = harness();
    driver = makeDriver(h);
    await driver.start();
    expect(driver.stats()).toMatchObject({ connected: 1, connects: 1, nodesRejected: 0 });
    await until(() => h.readings.length === 2, 'the initial values');
    expect([...h.readings].sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      reading('pm10', 70, T1),
      reading('pm25', 41.5, T1),
    ]);

    server.set('Station1.PM25', 43.25, 'Good', T2);
    await until(() => h.readings.length === 3, 'the data change');
    expect(h.readings[2]).toEqual(reading('pm25', 43.25, T2));
    expect(driver.stats()).toMatchObject({ dataChanges: 3, readings: 3, tsSource: 3, tsServer: 0, tsAgent: 0 });
  });

  it('carries the StatusCode into quality: Uncertain → uncertain, Bad → bad', async () => {
    const h = harness();
    driver = makeDriver(h);
    await driver.start();
    await until(() => h.readings.length === 2, 'the initial values');

    server.set('Station1.PM25', 44, 'UncertainLastUsableValue', T2);
    await until(() => h.readings.length === 3, 'the uncertain value');
    server.set('Station1.PM25', 45, 'BadSensorFailure', new Date(T2.getTime() + 1000));
    await until(() => h.readings.length === 4, 'the bad value');
    server.set('Station1.PM25', 46, 'Good', new Date(T2.getTime() + 2000));
    await until(() => h.readings.length === 5, 'the good value again');

    expect(h.readings.slice(2).map((r) => [r.value, r.quality])).toEqual([
      [44, 'uncertain'],
      [45, 'bad'],
      [46, 'good'],
    ]);
    expect(driver.stats()).toMatchObject({ uncertainStatus: 1, badStatus: 1, readings: 5 });
  });

  it('turns booleans into 0/1 and 64-bit integers into numbers; counts non-numeric values without emitting them', async () => {
    const h = harness();
    driver = makeDriver(h, {
      nodes: [
        { nodeId: 'ns=1;s=Station1.Pump', sensor: 'hn-st1', metric: 'camera_online' },
        { nodeId: 'ns=1;s=Station1.Label', sensor: 'hn-st1', metric: 'noise' },
        { nodeId: 'ns=1;s=Station1.Count', sensor: 'hn-st1', metric: 'pc_0_3' },
      ],
    });
    await driver.start();
    await until(() => driver?.stats().dataChanges === 3, 'three data changes');
    expect([...h.readings].sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      reading('camera_online', 1, T1),
      reading('pc_0_3', 1234, T1),
    ]);
    expect(driver.stats()).toMatchObject({ nonNumeric: 1, readings: 2 });

    server.set('Station1.Pump', false, 'Good', T2);
    await until(() => h.readings.length === 3, 'the boolean change');
    expect(h.readings[2]).toEqual(reading('camera_online', 0, T2));
  });

  it('keeps the nodes the server knows when one NodeId is unknown', async () => {
    const h = harness();
    driver = makeDriver(h, {
      nodes: [
        { nodeId: 'ns=1;s=Station1.Missing', sensor: 'hn-st1', metric: 'so2' },
        { nodeId: 'ns=1;s=Station1.PM10', sensor: 'hn-st1', metric: 'pm10' },
      ],
    });
    await driver.start();
    expect(driver.stats()).toMatchObject({ connected: 1, nodesRejected: 1 });
    await until(() => h.readings.length === 1, 'the known node');
    expect(h.readings[0]).toEqual(reading('pm10', 70, T1));
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('refused some nodes'))).toBe(true);
  });

  it('connects with SignAndEncrypt and a user name and password read from a file', async () => {
    const passwordFile = join(dir, 'opcua.password');
    await writeFile(passwordFile, 'đúng-mật-khẩu\n', { mode: 0o600 });
    const t3 = new Date('2025-03-01T08:00:00.789Z');
    server.set('Station1.PM25', 39.5, 'Good', t3);
    server.set('Station1.PM10', 61, 'Good', t3);
    const h = harness();
    driver = makeDriver(h, {
      securityMode: 'SignAndEncrypt',
      username: 'technician',
      passwordFile,
      trustUnknownServerCertificate: true,
    });
    await driver.start();
    expect(driver.stats()).toMatchObject({ connected: 1, authFailures: 0, certificateRejections: 0 });
    await until(() => h.readings.length === 2, 'the initial values');
    expect([...h.readings].sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      reading('pm10', 61, t3),
      reading('pm25', 39.5, t3),
    ]);
  });

  it('counts a wrong password as an auth failure, retries, and never crashes', async () => {
    const h = harness();
    driver = makeDriver(h, {
      securityMode: 'SignAndEncrypt',
      username: 'technician',
      password: 'sai-mật-khẩu',
      trustUnknownServerCertificate: true,
      reconnectMinMs: 20,
      reconnectMaxMs: 20,
    });
    await driver.start(); // resolves although refused
    expect(driver.stats()).toMatchObject({ connected: 0, connects: 0, authFailures: 1 });
    await until(() => (driver?.stats().authFailures ?? 0) >= 3, 'two retries');
    expect(h.readings).toHaveLength(0);
    expect(driver.stats().connectErrors).toBe(0);
    expect(h.logs.filter((l) => l.level === 'warn').every((l) => !JSON.stringify(l).includes('sai-mật-khẩu'))).toBe(true);
  });

  it('refuses an unknown server certificate by default, and connects once it is moved to trusted/', async () => {
    const pkiDir = freshPki();
    const h = harness();
    driver = makeDriver(h, { securityMode: 'SignAndEncrypt', pkiDir, reconnectMinMs: 1000, reconnectMaxMs: 1000 });
    await driver.start();
    expect(driver.stats()).toMatchObject({ connected: 0, certificateRejections: 1 });

    // What the README tells a technician to do: move the server's certificate from rejected/ to trusted/certs/
    // (between two attempts: an attempt in flight would file it under rejected/ again).
    const rejected = await readdir(join(pkiDir, 'rejected'));
    expect(rejected).toHaveLength(1);
    await mkdir(join(pkiDir, 'trusted', 'certs'), { recursive: true });
    await rename(join(pkiDir, 'rejected', rejected[0] ?? ''), join(pkiDir, 'trusted', 'certs', rejected[0] ?? ''));
    await until(() => driver?.stats().connected === 1, 'the connection with the trusted certificate');
    await until(() => h.readings.length === 2, 'the initial values');
  });

  it('resolves start() when nothing listens at the endpoint, and counts the failures', async () => {
    const h = harness();
    driver = makeDriver(h, { endpoint: 'opc.tcp://127.0.0.1:1', reconnectMinMs: 20, reconnectMaxMs: 20 });
    await driver.start();
    expect(driver.stats()).toMatchObject({ connected: 0, connectErrors: 1 });
    await until(() => (driver?.stats().connectErrors ?? 0) >= 3, 'retries');
    expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(1); // later failures are logged at debug
  });

  it('cuts a connection attempt short when stopped (a server that accepts and never answers)', async () => {
    const sockets: Socket[] = [];
    const mute = createServer((socket) => sockets.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const address = mute.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const h = harness();
      driver = makeDriver(h, { endpoint: `opc.tcp://127.0.0.1:${port}`, connectTimeoutMs: 600_000 });
      const starting = driver.start();
      await until(() => sockets.length === 1, 'the connection to the mute server');
      // stop() would wait for connectTimeoutMs (10 min, beyond the test's timeout) if the attempt were not cut.
      // (node-opcua itself keeps that half-open socket until its own 30 s socket timeout.)
      await driver.stop();
      await starting;
      expect(driver.stats()).toMatchObject({ connected: 0, connects: 0, connectErrors: 0 });
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });

  it('emits no reading after stop() resolves, and closes its session', async () => {
    const h = harness();
    driver = makeDriver(h);
    await driver.start();
    await until(() => h.readings.length === 2, 'the initial values');
    await until(() => server.sessionCount() === 1, 'the session');
    await driver.stop();
    expect(driver.stats().connected).toBe(0);
    server.set('Station1.PM25', 50, 'Good', T2);
    await sleep(200);
    expect(h.readings).toHaveLength(2);
    await until(() => server.sessionCount() === 0, 'the session to close');
  });

  it('keeps running when the sink throws', async () => {
    const h = harness();
    let calls = 0;
    const sink = h.ctx.sink;
    h.ctx = {
      ...h.ctx,
      sink: (readings) => {
        calls += 1;
        if (calls === 1) throw new Error('outbox full');
        sink(readings);
      },
    };
    driver = makeDriver(h);
    await driver.start();
    await until(() => driver?.stats().sinkErrors === 1 && h.readings.length === 1, 'one refused, one accepted');
    server.set('Station1.PM25', 47, 'Good', T2);
    await until(() => h.readings.length === 2, 'the next change');
    expect(h.readings[1]).toEqual(reading('pm25', 47, T2));
  });
});
