import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startBroker, type RunningBroker } from './broker.js';
import { Clients, closed, gateway, service, tableVerifier, total, type Account } from './test-support/helpers.js';

/** Authentication and authorization, with real mqtt.js clients against a real listening broker. */

const accounts: Record<string, Account> = {
  'gw-01': { secret: 's1', principal: gateway('site-a', 'gw-01') },
  'gw-02': { secret: 's2', principal: gateway('site-b', 'gw-02') },
  'gw-03': { secret: 's3', principal: gateway('site-a', 'gw-03') },
  'gw-old': { secret: 's4', principal: gateway('site-a', 'gw-old'), revoked: true },
  'gw-doomed': { secret: 's5', principal: gateway('site-a', 'gw-doomed') },
  'svc-ingest': { secret: 'si', principal: service('svc-ingest', 'ingest') },
  'svc-red': { secret: 'so', principal: service('svc-red', 'observer') },
};

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(chunk.toString());
    done();
  },
});

let broker: RunningBroker;
const clients = new Clients();
const gw01 = { clientId: 'gw-01', username: 'gw-01', password: 's1' };
const ingest = { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' };

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    log: pino({ level: 'info' }, logSink),
    credentials: tableVerifier(accounts),
    revocationCheckMs: 50,
  });
});

afterAll(async () => {
  await clients.endAll();
  await broker.close();
});

describe('authentication', () => {
  it('admits a gateway with its own credentials and client id', async () => {
    const c = await clients.connect(broker.url, gw01);
    expect(c.connected).toBe(true);
  });

  it.each([
    ['anonymous', { clientId: 'gw-01' }, 5, 'anonymous'],
    ['a wrong secret', { clientId: 'gw-01', username: 'gw-01', password: 'nope' }, 4, 'bad_secret'],
    ['an unknown gateway', { clientId: 'gw-99', username: 'gw-99', password: 's1' }, 4, 'unknown'],
    ['a revoked gateway', { clientId: 'gw-old', username: 'gw-old', password: 's4' }, 5, 'revoked'],
    ["another gateway's client id", { clientId: 'gw-02', username: 'gw-01', password: 's1' }, 2, 'client_id_mismatch'],
    ['an empty client id', { clientId: '', username: 'gw-01', password: 's1', clean: true }, 2, 'client_id_mismatch'],
    ['a username with a wildcard +', { clientId: 'gw-01/+', username: 'gw-01/+', password: 's1' }, 4, 'invalid_id'],
    ['a username with a wildcard #', { clientId: '#', username: '#', password: 's1' }, 4, 'invalid_id'],
    ['a username with a slash', { clientId: 'site-a/gw-01', username: 'site-a/gw-01', password: 's1' }, 4, 'invalid_id'],
    ['a username with ..', { clientId: '..', username: '..', password: 's1' }, 4, 'invalid_id'],
    ['a client id with a wildcard', { clientId: 'gw-01/#', username: 'gw-01', password: 's1' }, 2, 'client_id_mismatch'],
    ['keep-alive 0 (never detected when half-open)', { ...{ clientId: 'gw-01', username: 'gw-01', password: 's1' }, keepalive: 0 }, 2, 'keepalive_out_of_bounds'],
    ['keep-alive above the limit', { ...{ clientId: 'gw-01', username: 'gw-01', password: 's1' }, keepalive: 1201 }, 2, 'keepalive_out_of_bounds'],
    ['keep-alive below the limit', { ...{ clientId: 'gw-01', username: 'gw-01', password: 's1' }, keepalive: 2 }, 2, 'keepalive_out_of_bounds'],
  ] as const)('refuses %s with CONNACK %i, counted as %s', async (_name, opts, code, reason) => {
    const before = broker.stats().refusals;
    expect(await clients.connackCode(broker.url, opts)).toBe(code);
    const after = broker.stats().refusals;
    expect(after[reason]).toBe(before[reason] + 1);
    expect(total(after)).toBe(total(before) + 1);
  });

  it('never logs a password', () => {
    expect(logLines.join('')).toContain('mqtt refused');
    for (const secret of ['s1', 's4', 'nope']) expect(logLines.join('')).not.toContain(`"${secret}"`);
  });
});

describe('second connection with the same client id', () => {
  it('closes the older connection, keeps the newer, and logs the takeover', async () => {
    const older = await clients.connect(broker.url, { clientId: 'gw-03', username: 'gw-03', password: 's3' });
    const olderClosed = closed(older);
    const before = broker.stats().disconnects.takeover;
    const newer = await clients.connect(broker.url, { clientId: 'gw-03', username: 'gw-03', password: 's3' });
    await olderClosed;
    expect(newer.connected).toBe(true);
    expect(broker.stats().disconnects.takeover).toBe(before + 1);
    expect(logLines.some((l) => l.includes('newer connection wins') && l.includes('gw-03'))).toBe(true);
  });
});

describe('revocation while connected', () => {
  it('disconnects a gateway within one check interval of its revocation, and refuses it afterwards', async () => {
    const creds = { clientId: 'gw-doomed', username: 'gw-doomed', password: 's5' };
    const c = await clients.connect(broker.url, creds);
    const gone = closed(c);
    accounts['gw-doomed']!.revoked = true;
    await gone;
    expect(broker.stats().disconnects.revoked).toBe(1);
    expect(await clients.connackCode(broker.url, creds)).toBe(5);
  });
});

/** The SUBACK return codes for `filters` (128 = refused). */
async function subackCodes(client: Awaited<ReturnType<Clients['connect']>>, filters: string | string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    // mqtt.js rejects a SUBACK holding any 0x80; the codes are on the packet
    const granted = (err as { packet?: { granted?: (number | object)[] } }).packet?.granted;
    if (!granted) throw err;
    return granted.map((g) => (typeof g === 'number' ? g : -1));
  }
}

describe('authorization', () => {
  it('delivers a gateway telemetry message to the ingest service', async () => {
    const svc = await clients.connect(broker.url, ingest);
    expect(await subackCodes(svc, 'ioc/v1/+/+/telemetry')).toEqual([1]);
    const got = new Promise<string>((resolve) => svc.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
    const gw = await clients.connect(broker.url, gw01);
    await gw.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{"seq":1}', { qos: 1 });
    expect(await got).toBe('ioc/v1/site-a/gw-01/telemetry {"seq":1}');
    await svc.endAsync();
  });

  it.each([
    'ioc/v1/+/+/telemetry',
    'ioc/v1/site-a/#',
    'ioc/v1/site-a/+/config',
    'ioc/v1/site-a/gw-01/#',
    'ioc/v1/+/gw-01/config',
    '#',
    '+/+/+/+/+',
    '$SYS/#',
    '$SYS/+/new/clients',
    'ioc/v1/site-b/gw-02/config',
    'ioc/v1/site-a/gw-03/config',
    'ioc/v1/site-b/gw-01/config',
    'ioc/v1/site-a/gw-01/telemetry',
    'ioc/v1/site-a/gw-01/state',
    'ioc/v1/site-a/../gw-02/config',
    'ioc/v1/site-a/gw-01/../../site-b/gw-02/config',
    'ioc/v1/site-a/gw-01/cmd/../../../site-b/gw-02/cmd/#',
  ])('refuses a gateway subscription to %s (SUBACK 128), connection kept', async (filter) => {
    const gw = await clients.connect(broker.url, gw01);
    const before = broker.stats().refusals.subscribe_denied;
    expect(await subackCodes(gw, filter)).toEqual([128]);
    expect(broker.stats().refusals.subscribe_denied).toBe(before + 1);
    expect(gw.connected).toBe(true);
  });

  it('lets a gateway subscribe to its own config and commands', async () => {
    const gw = await clients.connect(broker.url, gw01);
    expect(await subackCodes(gw, ['ioc/v1/site-a/gw-01/config', 'ioc/v1/site-a/gw-01/cmd/#', 'ioc/v1/site-a/gw-01/cmd/+', 'ioc/v1/site-a/gw-01/cmd/reboot'])).toEqual([1, 1, 1, 1]);
  });

  it.each([
    'ioc/v1/site-b/gw-02/telemetry',
    'ioc/v1/site-a/gw-03/telemetry',
    'ioc/v1/site-b/gw-01/telemetry',
    'ioc/v1/site-a/gw-01/config',
    'ioc/v1/site-a/gw-01/cmd/reboot',
    'ioc/v1/site-a/gw-01/telemetry/extra',
    'ioc/v1/site-a/gw-01/../gw-02/telemetry',
    'ioc/v1/site-a/../site-b/gw-02/telemetry',
    'ioc/v1/site-a/gw-01//telemetry',
    'ioc/v2/site-a/gw-01/telemetry',
    '$SYS/broker/uptime',
    'other/topic',
  ])('refuses and never delivers a gateway publish to %s', async (topic) => {
    const spy = await clients.connect(broker.url, ingest);
    await spy.subscribeAsync(['ioc/v1/+/+/telemetry', 'ioc/v1/+/+/state', 'ioc/v1/+/+/config/ack'], { qos: 1 });
    const received: string[] = [];
    spy.on('message', (t) => received.push(t));
    const before = broker.stats().refusals.publish_denied;
    const gw = await clients.connect(broker.url, gw01);
    const gone = closed(gw);
    gw.publish(topic, 'x', { qos: 1 });
    await gone; // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection
    expect(broker.stats().refusals.publish_denied).toBe(before + 1);
    // a message the broker accepted after the refusal would arrive after this one: none did before it
    const probe = await clients.connect(broker.url, { clientId: 'gw-02', username: 'gw-02', password: 's2' });
    const marker = new Promise<void>((resolve) => spy.on('message', (t) => t === 'ioc/v1/site-b/gw-02/telemetry' && resolve()));
    await probe.publishAsync('ioc/v1/site-b/gw-02/telemetry', '{}', { qos: 1 });
    await marker;
    expect(received).toEqual(['ioc/v1/site-b/gw-02/telemetry']);
    await spy.endAsync();
  });

  it('refuses a retained telemetry message but accepts a retained state', async () => {
    const gw = await clients.connect(broker.url, gw01);
    await gw.publishAsync('ioc/v1/site-a/gw-01/state', '{"online":true}', { qos: 1, retain: true });
    const gone = closed(gw);
    gw.publish('ioc/v1/site-a/gw-01/telemetry', '{}', { qos: 1, retain: true });
    await gone;
  });

  it('lets the ingest service publish config and commands but not telemetry', async () => {
    const svc = await clients.connect(broker.url, ingest);
    await svc.publishAsync('ioc/v1/site-a/gw-01/config', '{"v":1}', { qos: 1, retain: true });
    await svc.publishAsync('ioc/v1/site-a/gw-01/cmd/reboot', '{}', { qos: 1 });
    const gone = closed(svc);
    svc.publish('ioc/v1/site-a/gw-01/telemetry', '{}', { qos: 1 });
    await gone;
  });

  it('gives an observer read-only access to state and alerts', async () => {
    const red = await clients.connect(broker.url, { clientId: 'svc-red', username: 'svc-red', password: 'so' });
    expect(await subackCodes(red, ['ioc/v1/+/+/state', 'ioc/v1/alerts/#', 'ioc/v1/+/+/telemetry', '$SYS/#'])).toEqual([1, 1, 128, 128]);
    const gone = closed(red);
    red.publish('ioc/v1/site-a/gw-01/config', '{}', { qos: 1 });
    await gone;
  });

  it('delivers the retained config to its gateway on subscribe, and only to it', async () => {
    const svc = await clients.connect(broker.url, ingest);
    await svc.publishAsync('ioc/v1/site-a/gw-01/config', '{"v":2}', { qos: 1, retain: true });
    const gw = await clients.connect(broker.url, gw01);
    const got = new Promise<string>((resolve) => gw.once('message', (_t, p) => resolve(p.toString())));
    await gw.subscribeAsync('ioc/v1/site-a/gw-01/config', { qos: 1 });
    expect(await got).toBe('{"v":2}');
  });
});
