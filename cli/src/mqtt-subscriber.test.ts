import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import mqtt from 'mqtt';
import pino from 'pino';
import { startBroker, type CredentialVerifier, type RunningBroker } from '@ioc/broker';
import { findFreePort, MqttSubscriber, SubscriberErrorCode, type InboundMessage } from '@ioc/cloud';

/** The subscriber against the real broker: persistent session, acknowledgement when told, flow control. */

const log = pino({ level: 'silent' });
let broker: RunningBroker;
const TOPIC = 'ioc/v1/site-1/gw-1/telemetry';
const FILTERS = ['ioc/v1/+/+/telemetry'];

const verifier: CredentialVerifier = {
  verify: (username, password) => {
    if (password.toString() !== 'ok') return Promise.resolve({ ok: false, reason: 'bad_secret' });
    if (username.startsWith('svc')) return Promise.resolve({ ok: true, principal: { kind: 'service', name: username, role: 'ingest' } });
    if (username.startsWith('obs')) return Promise.resolve({ ok: true, principal: { kind: 'service', name: username, role: 'observer' } });
    return Promise.resolve({ ok: true, principal: { kind: 'gateway', site: 'site-1', gateway: 'gw-1' } });
  },
};

beforeAll(async () => {
  broker = await startBroker({ port: 0, credentials: verifier, log, limits: { keepaliveMinSec: 1 } });
});
afterAll(async () => {
  await broker?.close();
});

function subscriber(clientId: string, over: { password?: string; url?: string; keepaliveSec?: number } = {}) {
  const received: InboundMessage[] = [];
  const lost: number[] = [];
  const sub = new MqttSubscriber(
    {
      url: over.url ?? broker.url,
      clientId,
      username: clientId,
      password: over.password ?? 'ok',
      filters: FILTERS,
      log,
      reconnectInitialMs: 20,
      reconnectMaxMs: 50,
      ...(over.keepaliveSec ? { keepaliveSec: over.keepaliveSec } : {}),
    },
    { message: (m) => received.push(m), sessionLost: (s) => lost.push(s) },
  );
  return { sub, received, lost };
}

async function gateway(id: string) {
  return mqtt.connectAsync(broker.url, { clientId: id, username: id, password: 'ok', protocolVersion: 4, reconnectPeriod: 0 });
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('MqttSubscriber', () => {
  it('refuses to start with bad credentials, a refused subscription, or nobody listening', async () => {
    await expect(subscriber('svc-a', { password: 'nope' }).sub.start()).rejects.toMatchObject({ code: SubscriberErrorCode.REFUSED });
    await expect(subscriber('obs-a').sub.start()).rejects.toMatchObject({
      code: SubscriberErrorCode.SUBSCRIBE_REFUSED,
      message: expect.stringContaining(FILTERS[0] ?? '') as unknown,
    });
    const url = `mqtt://127.0.0.1:${await findFreePort()}`;
    await expect(subscriber('svc-a', { url }).sub.start()).rejects.toMatchObject({ code: SubscriberErrorCode.CONNECT });
  });

  it('hands over every message at once, and the broker sends the unacknowledged ones again on the next connection', async () => {
    const { sub, received, lost } = subscriber('svc-b');
    await sub.start();
    const gw = await gateway('gw-b');
    for (let i = 0; i < 5; i++) await gw.publishAsync(TOPIC, `m${i}`, { qos: 1 });
    await until('5 messages', () => received.length === 5);
    expect(received.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const first = received.splice(0);
    expect(sub.puback(first[0]?.session ?? 0, first.slice(0, 2).map((m) => m.messageId ?? 0))).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // let the PUBACKs reach the broker before the connection goes

    // Another connection with the same client id takes the session over; ours reconnects and takes it back.
    // A bare connection that acknowledges nothing (an mqtt.js client would acknowledge what the broker resends).
    const thief = net.connect({ host: '127.0.0.1', port: broker.port });
    thief.on('error', () => undefined);
    thief.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, clientId: 'svc-b', keepalive: 30, username: 'svc-b', password: Buffer.from('ok') }));
    await until('the loss', () => lost.length === 1);
    thief.destroy();
    await until('the redelivery', () => received.length === 3);
    expect(received.map((m) => m.payload.toString())).toEqual(['m2', 'm3', 'm4']);
    expect(received[0]?.session).toBeGreaterThan(first[0]?.session ?? 0);
    expect(sub.puback(first[0]?.session ?? 0, [first[2]?.messageId ?? 0])).toBe(false); // a lost connection's ids are void
    sub.puback(received[0]?.session ?? 0, received.map((m) => m.messageId ?? 0));
    await gw.endAsync();
    await sub.close();

    const { sub: after, received: none } = subscriber('svc-b');
    await after.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(none).toEqual([]); // everything was acknowledged
    await after.close();
  });

  it('stops reading while paused, and reads on when resumed', async () => {
    const { sub, received } = subscriber('svc-c');
    await sub.start();
    sub.pause();
    const gw = await gateway('gw-c');
    for (let i = 0; i < 3; i++) await gw.publishAsync(TOPIC, `p${i}`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
    sub.resume();
    await until('3 messages', () => received.length === 3);
    sub.puback(received[0]?.session ?? 0, received.map((m) => m.messageId ?? 0));
    await gw.endAsync();
    await sub.close();
  });

  it('keeps an idle connection alive with PINGREQ', async () => {
    const { sub, lost } = subscriber('svc-d', { keepaliveSec: 1 });
    await sub.start();
    await new Promise((r) => setTimeout(r, 2_000)); // the broker drops a silent client after 1.5 × keep-alive
    expect(lost).toEqual([]);
    expect(sub.connected).toBe(true);
    await sub.close();
  });
});
