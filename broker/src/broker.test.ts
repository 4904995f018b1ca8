import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { startBroker, type RunningBroker } from './broker.js';
import type { CredentialCheck, CredentialVerifier, Principal } from './auth/principal.js';

/** A verifier over a fixed table: the broker's interface, not the registry's storage, is under test here. */
function tableVerifier(table: Record<string, { secret: string; principal: Principal; revoked?: boolean }>): CredentialVerifier {
  return {
    verify(username, password): Promise<CredentialCheck> {
      const row = table[username];
      if (!row) return Promise.resolve({ ok: false, reason: 'unknown' });
      if (password.toString() !== row.secret) return Promise.resolve({ ok: false, reason: 'bad_secret' });
      if (row.revoked) return Promise.resolve({ ok: false, reason: 'revoked' });
      return Promise.resolve({ ok: true, principal: row.principal });
    },
  };
}

let broker: RunningBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    log: pino({ level: 'silent' }),
    credentials: tableVerifier({
      'gw-01': { secret: 's1', principal: { kind: 'gateway', site: 'site-a', gateway: 'gw-01' } },
      'gw-02': { secret: 's2', principal: { kind: 'gateway', site: 'site-b', gateway: 'gw-02' } },
      'gw-old': { secret: 's3', principal: { kind: 'gateway', site: 'site-a', gateway: 'gw-old' }, revoked: true },
      'svc-ingest': { secret: 'si', principal: { kind: 'service', name: 'svc-ingest', role: 'ingest' } },
    }),
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.close();
});

async function connect(opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...opts });
  clients.push(client);
  return client;
}

/** The SUBACK return codes for `filters` (128 = refused). */
async function subackCodes(client: MqttClient, filters: string | string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: (number | object)[] } }).packet?.granted;
    if (!granted) throw err;
    return granted.map((g) => (typeof g === 'number' ? g : -1));
  }
}

async function connackCode(opts: IClientOptions): Promise<number> {
  try {
    await connect(opts);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe('authentication', () => {
  it('admits a gateway with its own credentials and client id', async () => {
    const c = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    expect(c.connected).toBe(true);
  });

  it.each([
    ['anonymous', { clientId: 'gw-01' }, 5],
    ['a wrong secret', { clientId: 'gw-01', username: 'gw-01', password: 'nope' }, 4],
    ['an unknown gateway', { clientId: 'gw-99', username: 'gw-99', password: 's1' }, 4],
    ['a revoked gateway', { clientId: 'gw-old', username: 'gw-old', password: 's3' }, 4],
    ["another gateway's client id", { clientId: 'gw-02', username: 'gw-01', password: 's1' }, 2],
  ])('refuses %s', async (_name, opts, code) => {
    const before = broker.stats().refusals;
    expect(await connackCode(opts)).toBe(code);
    const after = broker.stats().refusals;
    const total = (r: typeof before): number => Object.values(r).reduce((a, b) => a + b, 0);
    expect(total(after)).toBe(total(before) + 1);
  });
});

describe('authorization', () => {
  it('delivers a gateway telemetry message to the ingest service', async () => {
    const ingest = await connect({ clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' });
    const granted = await ingest.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    const got = new Promise<string>((resolve) => ingest.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
    const gw = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    await gw.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{"seq":1}', { qos: 1 });
    expect(await got).toBe('ioc/v1/site-a/gw-01/telemetry {"seq":1}');
  });

  it.each([
    'ioc/v1/+/+/telemetry',
    'ioc/v1/site-a/#',
    '#',
    '$SYS/#',
    'ioc/v1/site-b/gw-02/config',
    'ioc/v1/site-a/gw-01/telemetry',
    'ioc/v1/site-a/../gw-02/config',
  ])('refuses a gateway subscription to %s (SUBACK 128)', async (filter) => {
    const gw = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    const before = broker.stats().refusals.subscribe_denied;
    expect(await subackCodes(gw, filter)).toEqual([128]);
    expect(broker.stats().refusals.subscribe_denied).toBe(before + 1);
  });

  it('lets a gateway subscribe to its own config and commands', async () => {
    const gw = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    expect(await subackCodes(gw, ['ioc/v1/site-a/gw-01/config', 'ioc/v1/site-a/gw-01/cmd/#'])).toEqual([1, 1]);
  });

  it.each([
    'ioc/v1/site-b/gw-02/telemetry',
    'ioc/v1/site-b/gw-01/telemetry',
    'ioc/v1/site-a/gw-01/config',
    'ioc/v1/site-a/gw-01/telemetry/extra',
    'ioc/v1/site-a/gw-01/../gw-02/telemetry',
    'other/topic',
  ])('refuses and never delivers a gateway publish to %s', async (topic) => {
    const spy = await connect({ clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' });
    await spy.subscribeAsync(['ioc/v1/+/+/telemetry', 'ioc/v1/+/+/state'], { qos: 1 });
    const received: string[] = [];
    spy.on('message', (t) => received.push(t));
    const before = broker.stats().refusals.publish_denied;
    const gw = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.publish(topic, 'x', { qos: 1 });
    await closed; // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection
    expect(broker.stats().refusals.publish_denied).toBe(before + 1);
    expect(received).toEqual([]);
  });

  it('refuses a retained telemetry message but accepts a retained state', async () => {
    const gw = await connect({ clientId: 'gw-01', username: 'gw-01', password: 's1' });
    await gw.publishAsync('ioc/v1/site-a/gw-01/state', '{"online":true}', { qos: 1, retain: true });
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.publish('ioc/v1/site-a/gw-01/telemetry', '{}', { qos: 1, retain: true });
    await closed;
  });
});
