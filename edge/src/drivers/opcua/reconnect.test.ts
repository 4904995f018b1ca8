// Recovery against real node-opcua servers: a server restart (stop it, start a new one on the same port) and a silent
// network (a TCP relay that stops forwarding without closing, as a cellular link that goes dark).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../driver.js';
import { drivers } from '../index.js';
import { startTestServer, type TestOpcuaServer } from './test-server.js';
import { harness, until, type Harness } from './test-support.js';

const VARIABLES = { 'Station1.PM25': 'Double' } as const;
const at = (s: number): Date => new Date(Date.UTC(2025, 5, 1, 0, 0, s));

let dir: string;
let server: TestOpcuaServer | undefined;
let driver: Driver | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-rc-'));
});

afterEach(async () => {
  await driver?.stop();
  driver = undefined;
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function makeDriver(h: Harness, endpoint: string, pkiDir: string): Driver {
  const raw = {
    driver: 'opcua',
    id: 'station-1',
    endpoint,
    pkiDir,
    samplingIntervalMs: 20,
    publishingIntervalMs: 50,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    connectTimeoutMs: 3000,
    nodes: [{ nodeId: 'ns=1;s=Station1.PM25', sensor: 'hn-st1', metric: 'pm25' }],
  };
  return drivers.opcua.create(drivers.opcua.parseConfig(raw, 'inputs[0]'), h.ctx);
}

const values = (h: Harness): number[] => h.readings.map((r) => r.value);

describe('opcua driver recovery', () => {
  it('reconnects after the server restarts and re-creates its subscription', async () => {
    server = await startTestServer({ pkiDir: join(dir, 'server-pki'), variables: VARIABLES });
    server.set('Station1.PM25', 10, 'Good', at(1));
    const port = server.port;
    const h = harness();
    driver = makeDriver(h, server.endpointUrl, join(dir, 'client-pki'));
    await driver.start();
    await until(() => h.readings.length === 1, 'the first value', 10_000, () => ({ stats: driver?.stats(), h }));

    await server.stop();
    server = undefined;
    await until(() => driver?.stats().connected === 0, 'the loss to be seen');
    expect(driver.stats()).toMatchObject({ disconnects: 1, reconnects: 0 });

    server = await startTestServer({ pkiDir: join(dir, 'server-pki'), port, variables: VARIABLES });
    server.set('Station1.PM25', 20, 'Good', at(2));
    await until(() => driver?.stats().connected === 1, 'the reconnection', 10_000, () => ({ stats: driver?.stats(), h }));
    await until(() => h.readings.length === 2, 'the value of the new server', 10_000, () => ({ stats: driver?.stats(), h }));
    server.set('Station1.PM25', 30, 'Uncertain', at(3));
    await until(() => h.readings.length === 3, 'a data change on the new subscription');

    expect(values(h)).toEqual([10, 20, 30]);
    expect(h.readings.map((r) => r.ts)).toEqual([at(1), at(2), at(3)].map((d) => d.getTime()));
    expect(h.readings[2]?.quality).toBe('uncertain');
    expect(driver.stats()).toMatchObject({ connects: 2, reconnects: 1, disconnects: 1, connected: 1 });
    expect(driver.stats().connectErrors).toBeGreaterThan(0); // attempts while no server listened
  });

  it('drops a connection that falls silent and builds a new one', async () => {
    server ??= await startTestServer({ pkiDir: join(dir, 'server-pki'), variables: VARIABLES });
    server.set('Station1.PM25', 40, 'Good', at(4));
    const relay = await startRelay(server.port);
    try {
      const h = harness();
      driver = makeDriver(h, `opc.tcp://127.0.0.1:${relay.port}`, join(dir, 'client-pki'));
      await driver.start();
      await until(() => h.readings.length === 1, 'the first value', 10_000, () => ({ stats: driver?.stats(), h }));

      relay.freeze(); // the open connection goes dark; new connections still pass
      await until(() => driver?.stats().stalls === 1, 'the silence watchdog', 20_000);
      await until(() => driver?.stats().connected === 1, 'a new connection');
      server.set('Station1.PM25', 50, 'Good', at(5));
      await until(() => h.readings.some((r) => r.value === 50), 'a value through the new connection');
      expect(driver.stats()).toMatchObject({ disconnects: 1, reconnects: 1 });
      expect(h.readings.find((r) => r.value === 50)?.ts).toBe(at(5).getTime());
    } finally {
      await driver?.stop();
      await relay.close();
    }
  });
});

interface Relay {
  readonly port: number;
  /** Stops forwarding on the connections open now, without closing them. */
  freeze(): void;
  close(): Promise<void>;
}

/** A TCP relay 127.0.0.1:<port> → 127.0.0.1:target. */
async function startRelay(target: number): Promise<Relay> {
  const pairs: { client: Socket; upstream: Socket; frozen: boolean }[] = [];
  const relay: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    client.on('data', (chunk) => pair.frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => pair.frozen || client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    freeze: () => pairs.forEach((pair) => (pair.frozen = true)),
    close: async () => {
      pairs.forEach((pair) => {
        pair.client.destroy();
        pair.upstream.destroy();
      });
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
