// OpcuaLink over the gateway's own client against real node-opcua servers, for what driver.test.ts and
// reconnect.test.ts do not cover: the newer policies across a server restart, a server that does not trust the gateway's
// certificate, and a subscription the server ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DriverLogger } from '../../driver.js';
import { parseOpcuaConnection } from './connection-config.js';
import { OpcuaLink, type OpcuaSample } from './link.js';
import { until } from './test-support.js';
import { startInteropServer, type InteropServer } from './ua/interop-server.js';

const at = (s: number): Date => new Date(Date.UTC(2025, 5, 1, 0, 0, s));

let dir: string;
let link: OpcuaLink | undefined;
const servers: InteropServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-link-'));
});

afterEach(async () => {
  await link?.stop();
  link = undefined;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Recorded {
  samples: OpcuaSample[];
  warnings: string[];
}

function startLink(endpoint: string, extra: Record<string, unknown>): { link: OpcuaLink; seen: Recorded } {
  const seen: Recorded = { samples: [], warnings: [] };
  const nop = (): void => undefined;
  const log: DriverLogger = { debug: nop, info: nop, error: nop, warn: (obj: object | string, msg?: string) => seen.warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`) };
  const raw = { endpoint, pkiDir: join(dir, 'client-pki'), samplingIntervalMs: 20, publishingIntervalMs: 50, reconnectMinMs: 50, reconnectMaxMs: 200, connectTimeoutMs: 3000, ...extra };
  const connection = parseOpcuaConnection({ raw, path: 'inputs[0]' }, 'station-1');
  const created = new OpcuaLink({ connection, nodeIds: ['ns=1;s=PM25'], log, onSample: (_, sample) => seen.samples.push(sample) });
  return { link: created, seen };
}

async function server(port = 0, trustClients = true): Promise<InteropServer> {
  const started = await startInteropServer({
    pkiDir: join(dir, trustClients ? 'server-pki' : 'strict-server-pki'),
    port,
    users: { technician: 'mật-khẩu' },
    variables: { PM25: { dataType: 'Double' } },
    trustClients,
  });
  servers.push(started);
  return started;
}

describe('OpcuaLink with its own OPC-UA client', () => {
  it('reconnects over Aes256_Sha256_RsaPss with a user name after the server restarts, and subscribes anew', async () => {
    let s = await server();
    s.set('PM25', 10, 'Good', at(1));
    const started = startLink(s.endpointUrl, {
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Aes256_Sha256_RsaPss',
      username: 'technician',
      password: 'mật-khẩu',
      trustUnknownServerCertificate: true,
    });
    link = started.link;
    await link.start();
    expect(link.stats()).toMatchObject({ connected: 1, connects: 1, nodesRejected: 0 });
    await until(() => started.seen.samples.length === 1, 'the first value');

    const port = s.port;
    await s.stop();
    servers.splice(0);
    await until(() => link?.stats().connected === 0, 'the loss');
    s = await server(port); // same PKI folder: the same certificate, trusted already
    s.set('PM25', 20, 'Good', at(2));
    await until(() => link?.stats().connected === 1, 'the reconnection', 10_000, () => link?.stats());
    await until(() => started.seen.samples.length === 2, 'the value of the new server');
    s.set('PM25', 30, 'UncertainLastUsableValue', at(3));
    await until(() => started.seen.samples.length === 3, 'a change on the new subscription');
    expect(started.seen.samples.map((x) => [x.value, x.statusName, x.sourceTs])).toEqual([
      [10, 'Good', at(1).getTime()],
      [20, 'Good', at(2).getTime()],
      [30, 'UncertainLastUsableValue', at(3).getTime()],
    ]);
    expect(link.stats()).toMatchObject({ connects: 2, reconnects: 1, disconnects: 1, authFailures: 0, certificateRejections: 0 });
  });

  it("counts a server that does not trust the gateway's certificate as a certificate rejection", async () => {
    const s = await server(0, false);
    const started = startLink(s.endpointUrl, { securityMode: 'SignAndEncrypt', trustUnknownServerCertificate: true, reconnectMinMs: 20, reconnectMaxMs: 20 });
    link = started.link;
    await link.start();
    await until(() => (link?.stats().certificateRejections ?? 0) >= 2, 'two refusals', 10_000, () => link?.stats());
    expect(link.stats()).toMatchObject({ connected: 0, connects: 0, connectErrors: 0, authFailures: 0 });
    expect(started.seen.warnings[0]).toMatch(/OPC-UA connection failed; will retry.*"kind":"certificateRejection"/);
  });

  it('rebuilds the subscription when the server ends it', async () => {
    const s = await server();
    s.set('PM25', 40, 'Good', at(4));
    const started = startLink(s.endpointUrl, {});
    link = started.link;
    await link.start();
    await until(() => started.seen.samples.length === 1, 'the first value');
    expect(s.endSubscriptions()).toBe(1);
    await until(() => link?.stats().reconnects === 1 && link.stats().connected === 1, 'a new subscription', 10_000, () => link?.stats());
    await until(() => started.seen.samples.length === 2, 'the current value again');
    expect(started.seen.samples[1]).toMatchObject({ value: 40, sourceTs: at(4).getTime() });
    expect(link.stats()).toMatchObject({ disconnects: 1, stalls: 0 });
    expect(started.seen.warnings.some((w) => w.includes('subscription ended: the server ended the subscription: GoodSubscriptionTransferred'))).toBe(true);
  });
});
