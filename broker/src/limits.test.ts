import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';
import { startBroker, type RunningBroker } from './broker.js';
import type { BrokerLimits } from './options.js';
import { Clients, closed, gateway, prng, rawSocket, service, silentLog, socketClosed, tableVerifier, total, type Account } from './test-support/helpers.js';

/** Limits and abuse, against real listening brokers with small limits. */

const accounts: Record<string, Account> = {
  'svc-ingest': { secret: 'si', principal: service('svc-ingest', 'ingest') },
};
for (let i = 1; i <= 5; i++) accounts[`gw-0${i}`] = { secret: `s${i}`, principal: gateway('site-a', `gw-0${i}`) };
const gw = (i: number): { clientId: string; username: string; password: string } => ({ clientId: `gw-0${i}`, username: `gw-0${i}`, password: `s${i}` });
const ingest = { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' };
const telemetry = (i: number): string => `ioc/v1/site-a/gw-0${i}/telemetry`;

const brokers: RunningBroker[] = [];
const clients = new Clients();
const sockets: Socket[] = [];

async function broker(limits: Partial<BrokerLimits>): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, log: silentLog, credentials: tableVerifier(accounts), limits, shutdownGraceMs: 0 });
  brokers.push(b);
  return b;
}

async function raw(b: RunningBroker): Promise<Socket> {
  const s = await rawSocket(b.port);
  s.on('error', () => {});
  sockets.push(s);
  return s;
}

const connectPacket = (creds: { clientId: string; username: string; password: string }, keepalive = 30): Buffer =>
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive, ...creds, password: Buffer.from(creds.password) });

/** The packets the broker sends on a raw socket, as they arrive. */
function packetsFrom(s: Socket): Packet[] {
  const got: Packet[] = [];
  const p = parser();
  p.on('packet', (packet: Packet) => got.push(packet));
  s.on('data', (d: Buffer) => p.parse(d));
  return got;
}

afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await clients.endAll();
});
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
});

describe('packet size', () => {
  it('closes a client whose PUBLISH is over the limit, and counts it', async () => {
    const b = await broker({ maxPacketBytes: 1024 });
    const c = await clients.connect(b.url, gw(1));
    const gone = closed(c);
    c.publish(telemetry(1), Buffer.alloc(2000, 0x41), { qos: 1 });
    await gone;
    expect(b.stats().refusals.packet_too_large).toBe(1);
    expect(b.stats().messagesIn).toEqual([0, 0, 0]);
  });

  it('closes on the length prefix alone: a 256 MB packet is refused before its body is sent', async () => {
    const b = await broker({ maxPacketBytes: 1024 });
    const s = await raw(b);
    const got = packetsFrom(s);
    s.write(connectPacket(gw(1)));
    await new Promise((resolve) => s.once('data', resolve)); // CONNACK
    s.write(Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f])); // PUBLISH QoS 1, remaining length 268,435,455
    await socketClosed(s);
    expect(got.map((p) => p.cmd)).toEqual(['connack']);
    expect(b.stats().refusals.packet_too_large).toBe(1);
  });

  it('holds a CONNECT to 16 KiB whatever the packet limit', async () => {
    const b = await broker({ maxPacketBytes: 1024 * 1024 });
    const s = await raw(b);
    s.write(Buffer.from([0x10, 0x80, 0x80, 0x08])); // CONNECT, remaining length 131,072
    await socketClosed(s);
    expect(b.stats().refusals.packet_too_large).toBe(1);
  });
});

describe('protocol version', () => {
  it('answers an MQTT 5 CONNECT with CONNACK 1 (aedes speaks 3.1.1) and counts it', async () => {
    const b = await broker({});
    const s = await raw(b);
    const got: number[] = [];
    s.on('data', (d: Buffer) => got.push(...d));
    // CONNECT, protocol level 5, properties length 0, client id "gw-01"
    s.write(Buffer.from([0x10, 0x12, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x1e, 0x00, 0x00, 0x05, 0x67, 0x77, 0x2d, 0x30, 0x31]));
    await socketClosed(s);
    expect(got.slice(0, 4)).toEqual([0x20, 0x02, 0x00, 0x01]);
    expect(b.stats().refusals.unsupported_protocol).toBe(1);
  });
});

describe('garbage and half-open connections', () => {
  it('closes and counts every connection sending random bytes, and keeps serving the others', async () => {
    const b = await broker({ connectTimeoutMs: 500, connectBurst: 1000 });
    const svc = await clients.connect(b.url, { ...ingest, clean: true });
    await svc.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const received: string[] = [];
    svc.on('message', (_t, p) => received.push(p.toString()));

    const rand = prng(20240601);
    const n = 60;
    const garbage = await Promise.all(Array.from({ length: n }, () => raw(b)));
    garbage.forEach((s) => s.write(Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)))));
    // meanwhile a gateway connects and publishes as usual
    const c = await clients.connect(b.url, gw(1));
    await c.publishAsync(telemetry(1), 'ok', { qos: 1 });

    await Promise.all(garbage.map(socketClosed));
    const r = b.stats().refusals;
    expect(total(r)).toBe(n); // each counted once, under one reason
    expect(r.malformed + r.packet_too_large + r.connect_timeout).toBeGreaterThan(n / 2);
    expect(received).toEqual(['ok']);
  });

  it('closes connections that never send CONNECT after the connect timeout, while others connect', async () => {
    const b = await broker({ connectTimeoutMs: 400, connectBurst: 1000 });
    const halfOpen = await Promise.all(Array.from({ length: 100 }, () => raw(b)));
    halfOpen.slice(0, 50).forEach((s) => s.write(Buffer.from([0x10, 0x40]))); // a CONNECT header, then nothing
    const c = await clients.connect(b.url, gw(1));
    expect(c.connected).toBe(true);
    await Promise.all(halfOpen.map(socketClosed));
    expect(b.stats().refusals.connect_timeout).toBe(100);
  });

  it('refuses connections beyond the per-address rate, and counts them', async () => {
    const b = await broker({ connectRatePerSec: 0.001, connectBurst: 5 });
    const all = await Promise.all(Array.from({ length: 8 }, () => raw(b)));
    await Promise.all(all.slice(5).map(socketClosed));
    expect(b.stats().refusals.connect_rate).toBe(3);
    expect(all.slice(0, 5).every((s) => !s.destroyed)).toBe(true);
  });

  it('closes an admitted client that goes silent past 1.5 × its keep-alive', async () => {
    const b = await broker({ keepaliveMinSec: 1 });
    const s = await raw(b);
    const got = packetsFrom(s);
    s.write(connectPacket(gw(2), 1));
    await socketClosed(s);
    expect(got.map((p) => p.cmd)).toEqual(['connack']);
    expect(b.stats().disconnects.keepalive_timeout).toBe(1);
  });
});

describe('publish rate and in-flight limits', () => {
  it('refuses a PUBLISH beyond the burst when it would wait longer than allowed, and counts it', async () => {
    const b = await broker({ publishRatePerSec: 0.001, publishBurst: 3, maxThrottleMs: 0 });
    const c = await clients.connect(b.url, gw(1));
    for (let i = 0; i < 3; i++) await c.publishAsync(telemetry(1), `m${i}`, { qos: 1 });
    const gone = closed(c);
    c.publish(telemetry(1), 'one too many', { qos: 1 });
    await gone;
    expect(b.stats().refusals.rate_limited).toBe(1);
    expect(b.stats().messagesIn[1]).toBe(3);
  });

  it('holds back PUBLISHes over the rate (back-pressure) and delivers them in order', async () => {
    const b = await broker({ publishRatePerSec: 4, publishBurst: 1, maxThrottleMs: 5000 });
    const svc = await clients.connect(b.url, { ...ingest, clean: true });
    await svc.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const received: string[] = [];
    const all = new Promise<void>((resolve) => svc.on('message', (_t, p) => received.push(p.toString()) === 4 && resolve()));
    const c = await clients.connect(b.url, gw(1));
    await Promise.all(['a', 'b', 'c', 'd'].map((m) => c.publishAsync(telemetry(1), m, { qos: 1 })));
    await all;
    expect(received).toEqual(['a', 'b', 'c', 'd']);
    expect(b.stats().throttled).toBe(3);
    expect(b.stats().refusals.rate_limited).toBe(0);
  });

  it('refuses the QoS 1 PUBLISH over the in-flight limit', async () => {
    const b = await broker({ maxInflight: 5 });
    const s = await raw(b);
    const got = packetsFrom(s);
    const publishes = Array.from({ length: 20 }, (_, i) => generate({ cmd: 'publish', topic: telemetry(3), payload: Buffer.from(`m${i}`), qos: 1, messageId: i + 1, retain: false, dup: false }));
    s.write(Buffer.concat([connectPacket(gw(3)), ...publishes])); // one chunk: all handled in the same turn
    await socketClosed(s);
    expect(b.stats().refusals.inflight_exceeded).toBe(1);
    // the five within the limit were acknowledged and routed; nothing after the refused one was
    expect(got.filter((p) => p.cmd === 'puback').length).toBeLessThanOrEqual(5);
    expect(b.stats().messagesIn[1]).toBe(5);
  });
});

describe('bounded queue per persistent session', () => {
  it('refuses a QoS 1 PUBLISH for a full session before acknowledging it, and delivers every accepted one', async () => {
    const b = await broker({ queueLimit: 3 });
    const sub = await clients.connect(b.url, { ...ingest, clean: false });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    await sub.endAsync();

    const c = await clients.connect(b.url, gw(4));
    for (const m of ['m1', 'm2', 'm3']) await c.publishAsync(telemetry(4), m, { qos: 1 });
    expect(b.stats().sessionsFull).toBe(1);
    const gone = closed(c);
    let m4Acked = false;
    c.publishAsync(telemetry(4), 'm4', { qos: 1 }).then(() => (m4Acked = true), () => {});
    await gone;
    expect(b.stats().refusals.queue_full).toBe(1);

    const received: string[] = [];
    const back = await clients.connect(b.url, { ...ingest, clean: false });
    await new Promise<void>((resolve) => {
      back.on('message', (_t, p) => received.push(p.toString()) === 3 && resolve());
    });
    expect(received).toEqual(['m1', 'm2', 'm3']);
    // drained: the gateway may publish again
    const again = await clients.connect(b.url, gw(5));
    await again.publishAsync(telemetry(5), 'm5', { qos: 1 });
    expect(b.stats().sessionsFull).toBe(0);
    expect(m4Acked).toBe(false); // refused visibly: the publisher never got a PUBACK for it, so it keeps it
  });
});
