// The station server with SignAndEncrypt and a user manager, ticking on its own, seen by an independent node-opcua
// client written here. One server for the file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ua from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaStationServer } from './server.js';

let ua: typeof Ua;
let dir: string;
let sim: OpcuaStationServer;
let clients = 0;

beforeAll(async () => {
  ua = await import('node-opcua');
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-sim-sec-'));
  sim = new OpcuaStationServer({
    pkiDir: join(dir, 'server'),
    security: 'SignAndEncrypt',
    users: { operator: 'mật-khẩu-trạm' },
    stationName: 'HaNam_PhuLy',
    updateIntervalMs: 50,
    minimumSamplingIntervalMs: 20,
    seed: 11,
  });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Connects a fresh client (its own PKI) with `mode`, runs `body`, always disconnects. */
async function withClient<T>(mode: 'None' | 'SignAndEncrypt', body: (client: Ua.OPCUAClient) => Promise<T>): Promise<T> {
  clients += 1;
  const client = ua.OPCUAClient.create({
    endpointMustExist: false,
    securityMode: ua.MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? ua.SecurityPolicy.None : ua.SecurityPolicy.Basic256Sha256,
    connectionStrategy: { maxRetry: 0 },
    clientCertificateManager: new ua.OPCUACertificateManager({
      rootFolder: join(dir, `client-${clients}`),
      automaticallyAcceptUnknownCertificate: true,
    }),
  });
  try {
    await client.connect(sim.endpointUrl);
    return await body(client);
  } finally {
    await client.disconnect();
  }
}

const user = (password: string): Ua.UserIdentityInfoUserName => ({ type: ua.UserTokenType.UserName, userName: 'operator', password });

describe('OpcuaStationServer (SignAndEncrypt, users)', () => {
  it('serves a signed and encrypted session to a known user, with new values every updateIntervalMs', async () => {
    const stamps = await withClient('SignAndEncrypt', async (client) => {
      const session = await client.createSession(user('mật-khẩu-trạm'));
      const subscription = await session.createSubscription2({ requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 60, publishingEnabled: true });
      const changes: Ua.DataValue[] = [];
      const item = await subscription.monitor(
        { nodeId: sim.nodeId('temperature'), attributeId: ua.AttributeIds.Value },
        { samplingInterval: 20, queueSize: 10, discardOldest: true },
        ua.TimestampsToReturn.Both,
      );
      item.on('changed', (dv: Ua.DataValue) => changes.push(dv));
      await until(() => changes.length >= 3);
      await session.close();
      return changes.map((dv) => dv.sourceTimestamp?.getTime() ?? 0);
    });
    expect(sim.nodeId('temperature')).toBe('ns=1;s=HaNam_PhuLy.Temperature');
    for (let i = 1; i < stamps.length; i += 1) expect(stamps[i]).toBeGreaterThan(stamps[i - 1] ?? Infinity);
    expect(sim.stats().updates).toBeGreaterThanOrEqual(3);
  });

  it('refuses a wrong password and an anonymous session', async () => {
    await withClient('SignAndEncrypt', async (client) => {
      await expect(client.createSession(user('sai'))).rejects.toThrow(/BadUserAccessDenied/);
      await expect(client.createSession()).rejects.toThrow(/ANONYMOUS|BadIdentityToken/); // no anonymous token policy offered
    });
  });

  it('offers no unsecured endpoint', async () => {
    await expect(withClient('None', async (client) => client.createSession(user('mật-khẩu-trạm')))).rejects.toThrow();
    const endpoints = await withClient('SignAndEncrypt', (client) => client.getEndpoints());
    expect(endpoints.length).toBeGreaterThan(0);
    expect(endpoints.every((e) => e.securityMode === ua.MessageSecurityMode.SignAndEncrypt)).toBe(true);
    const tokenTypes = new Set(endpoints.flatMap((e) => (e.userIdentityTokens ?? []).map((t) => t.tokenType)));
    expect(tokenTypes.has(ua.UserTokenType.UserName)).toBe(true);
    expect(tokenTypes.has(ua.UserTokenType.Anonymous)).toBe(false);
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
