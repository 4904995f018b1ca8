import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeState, decodeTelemetry, decodeConfigAck, type Reading, type TelemetryBatch } from '@ioc/protocol';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import type { Outbox } from '../outbox/outbox.js';
import { makeTestPki, type TestPki } from '../testing/certs.js';
import { compiledEdgeFile } from '../testing/compiled.js';
import { recordMessages, startTestBroker, until, type Received, type TestBroker } from '../testing/test-broker.js';
import { startUplink, type Uplink, type UplinkOptions } from './mqtt-uplink.js';

const execFileAsync = promisify(execFile);
const log = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 10, 25, 10, 0, 0);
const reading = (i: number): Reading => ({ sensor: 'pm-01', metric: 'pm25', ts: T0 + i * 1000, value: i, quality: 'good' });
const range = (from: number, to: number): Reading[] => Array.from({ length: to - from }, (_, i) => reading(from + i));

const dir = mkdtempSync(path.join(tmpdir(), 'ioc-uplink-'));
let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki(dir);
});
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function broker(opts: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker(opts);
  cleanups.push(() => b.close());
  return b;
}

async function recorder(url: string): Promise<Received[]> {
  const r = await recordMessages(url, 'ioc/v1/#');
  cleanups.push(() => r.close());
  return r.messages;
}

function uplink(url: string, outbox: Outbox, more: Partial<UplinkOptions> = {}): Uplink {
  const u = startUplink({
    endpoint: { url, username: 'gw-01', password: 'secret' },
    site: 'ha-nam',
    gateway: 'gw-01',
    outbox,
    log,
    batching: { maxBatchReadings: 100, lingerMs: 0 },
    keepaliveSec: 30,
    connectTimeoutMs: 5000,
    reconnectMinMs: 20,
    reconnectMaxMs: 100,
    birth: () => ({ agent: { name: 'ioc-edge', version: '0.1.0' }, inputs: [{ id: 'pms-1', driver: 'pms5003' }], outbox: { pending: outbox.stats().pending, dropped: outbox.stats().dropped } }),
    ...more,
  });
  cleanups.push(() => u.stop());
  return u;
}

const telemetry = (messages: Received[]): TelemetryBatch[] =>
  messages.filter((m) => m.topic === 'ioc/v1/ha-nam/gw-01/telemetry').map((m) => {
    const decoded = decodeTelemetry(m.payload);
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.value;
  });
const count = (messages: Received[]): number => telemetry(messages).reduce((n, b) => n + b.readings.length, 0);

describe('MQTT uplink: telemetry', () => {
  it('sends QoS 1 batches numbered by seq and removes readings only once the PUBACK came', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived = 0;
    const b = await broker({
      beforePublish: (topic) => {
        if (!topic.endsWith('/telemetry')) return Promise.resolve();
        arrived += 1;
        return held;
      },
    });
    const messages = await recorder(b.url);
    const box = new MemoryOutbox();
    const u = uplink(b.url, box, { batching: { maxBatchReadings: 3, lingerMs: 0 } });
    await until(() => u.stats().connected, 'connection');
    box.append(range(0, 7));
    await until(() => arrived >= 1, 'a batch at the broker, its PUBACK held back');
    expect(box.stats().pending).toBe(7); // in flight, not acknowledged: still in the outbox
    expect(u.stats().messagesSent).toBe(0);
    release();
    await until(() => count(messages) === 7, 'all readings');
    const batches = telemetry(messages);
    expect(batches.flatMap((batch) => batch.readings)).toEqual(range(0, 7));
    expect(batches.map((batch) => batch.seq)).toEqual(batches.map((_, i) => i + 1));
    expect(batches.every((batch) => batch.readings.length <= 3)).toBe(true);
    await until(() => box.stats().pending === 0, 'outbox emptied');
    expect(u.stats()).toMatchObject({ messagesSent: batches.length, readingsSent: 7, lastSeq: batches.length });
  });

  it('replays the backlog oldest first, historical, with original timestamps, while live readings keep flowing', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const b = await broker({ beforePublish: () => held });
    const messages = await recorder(b.url);
    const box = new MemoryOutbox();
    box.append(range(0, 2000)); // queued while the link was down
    const u = uplink(b.url, box);
    await until(() => u.stats().connected, 'connection');
    box.append([reading(5000)]); // measured now
    release();
    await until(() => count(messages) === 2001, 'every reading');
    const batches = telemetry(messages);
    const backlog = batches.filter((batch) => batch.historical);
    const live = batches.filter((batch) => !batch.historical);
    expect(backlog.flatMap((batch) => batch.readings)).toEqual(range(0, 2000));
    expect(live.flatMap((batch) => batch.readings)).toEqual([reading(5000)]);
    // The live reading did not wait for the 20 backlog batches to finish.
    expect(batches.indexOf(live[0]!)).toBeLessThan(batches.indexOf(backlog[backlog.length - 1]!));
    expect(u.stats().historicalReadingsSent).toBe(2000);
  });

  it('keeps readings through a broker outage and delivers every one afterwards, the outage ones as historical', async () => {
    let admitGateway = true;
    const first = await broker({ admit: (id) => admitGateway || !id.startsWith('gw-') });
    const rec = await recordMessages(first.url, 'ioc/v1/#');
    cleanups.push(() => rec.close());
    const box = new MemoryOutbox();
    const u = uplink(first.url, box);
    await until(() => u.stats().connected, 'connection');
    box.append(range(0, 50));
    await until(() => count(rec.messages) === 50, 'readings before the outage');

    await first.close();
    await until(() => !u.stats().connected, 'disconnection');
    box.append(range(50, 150)); // during the outage
    admitGateway = false;
    const second = await startTestBroker({ port: first.port, admit: (id) => admitGateway || !id.startsWith('gw-') });
    cleanups.push(() => second.close());
    await until(() => rec.client.connected, 'recorder back');
    await rec.client.subscribeAsync('ioc/v1/#', { qos: 1 });
    admitGateway = true; // the subscriber is ready: let the gateway in
    await until(() => count(rec.messages) >= 150, 'the backlog');
    const batches = telemetry(rec.messages);
    const keys = new Map(batches.flatMap((batch) => batch.readings.map((r) => [`${r.sensor}/${r.metric}/${r.ts}`, { r, historical: batch.historical }])));
    expect([...keys.values()].map((k) => k.r).sort((a, b) => a.ts - b.ts)).toEqual(range(0, 150));
    expect(range(50, 150).every((r) => keys.get(`${r.sensor}/${r.metric}/${r.ts}`)?.historical)).toBe(true);
    expect(range(0, 50).some((r) => keys.get(`${r.sensor}/${r.metric}/${r.ts}`)?.historical)).toBe(false);
    expect(u.stats().disconnects).toBeGreaterThanOrEqual(1);
    expect(box.stats().pending).toBe(0);
  });
});

describe('MQTT uplink: session', () => {
  it('publishes a retained birth, its last will when the link dies, and {online:false} when stopped', async () => {
    const b = await broker();
    const messages = await recorder(b.url);
    const box = new MemoryOutbox();
    const u = uplink(b.url, box, { birth: () => ({ agent: { name: 'ioc-edge', version: '0.1.0' }, outbox: { pending: 3, dropped: 2 }, clockSkewMs: -7300 }) });
    const states = (): Record<string, unknown>[] => messages.filter((m) => m.topic === 'ioc/v1/ha-nam/gw-01/state').map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    await until(() => states().length === 1, 'the birth');
    expect(states()[0]).toMatchObject({ online: true, agent: { name: 'ioc-edge', version: '0.1.0' }, outbox: { pending: 3, dropped: 2 }, clockSkewMs: -7300 });
    expect(decodeState(JSON.stringify(states()[0])).ok).toBe(true);

    b.dropConnections('gw-');
    await until(() => states().length === 3, 'the last will, then a new birth');
    expect(states()[1]).toEqual({ online: false });
    expect(states()[2]).toMatchObject({ online: true });

    await u.stop();
    await until(() => states().length === 4, 'the offline state');
    expect(states()[3]).toEqual({ online: false, ts: expect.any(Number) as number });
    const late = await recordMessages(b.url, 'ioc/v1/ha-nam/gw-01/state');
    cleanups.push(() => late.close());
    await until(() => late.messages.length === 1, 'the retained state');
    expect(late.messages[0]).toMatchObject({ retain: true });
    expect(JSON.parse(late.messages[0]!.payload.toString())).toMatchObject({ online: false });
  });

  it('subscribes to its retained config and acks on config/ack', async () => {
    const b = await broker();
    const cloud = await mqtt.connectAsync(b.url, { clientId: 'cloud' });
    cleanups.push(() => cloud.endAsync());
    await cloud.publishAsync('ioc/v1/ha-nam/gw-01/config', JSON.stringify({ version: 3, inputs: [] }), { qos: 1, retain: true });
    const messages = await recorder(b.url);
    const configs: string[] = [];
    const u = uplink(b.url, new MemoryOutbox(), { onConfig: (payload) => configs.push(payload.toString()) });
    await until(() => configs.length === 1, 'the retained config');
    expect(JSON.parse(configs[0]!)).toEqual({ version: 3, inputs: [] });
    expect(await u.publishConfigAck({ version: 3, ok: false, error: 'inputs: must not have fewer than 1 items' })).toBe(true);
    await until(() => messages.some((m) => m.topic === 'ioc/v1/ha-nam/gw-01/config/ack'), 'the ack');
    const ack = decodeConfigAck(messages.find((m) => m.topic.endsWith('/config/ack'))!.payload);
    expect(ack).toEqual({ ok: true, value: { version: 3, ok: false, error: 'inputs: must not have fewer than 1 items' } });
  });

  it('turns Nagle off on its socket (plain and TLS)', async () => {
    const spy = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const plain = await broker();
      const u = uplink(plain.url, new MemoryOutbox());
      await until(() => u.stats().connected, 'connection');
      expect(spy).toHaveBeenCalledWith(true);
      spy.mockClear();
      const secure = await broker({ tls: { key: pki.serverKey, cert: pki.serverCert } });
      const t = uplink(secure.url, new MemoryOutbox(), { endpoint: { url: secure.url, username: 'gw-01', password: 'x', caFile: pki.files.ca } });
      await until(() => t.stats().connected, 'TLS connection');
      expect(spy).toHaveBeenCalledWith(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('reads the password from its file at every connect', async () => {
    let secret = 'first-secret';
    const b = await broker({ password: () => secret });
    const file = path.join(dir, 'mqtt.secret');
    writeFileSync(file, 'first-secret\n');
    const u = uplink(b.url, new MemoryOutbox(), { endpoint: { url: b.url, username: 'gw-01', passwordFile: file } });
    await until(() => u.stats().connected, 'connection with the first secret');
    secret = 'rotated-secret';
    writeFileSync(file, 'rotated-secret\n');
    b.dropConnections();
    await until(() => !u.stats().connected, 'disconnection');
    await until(() => u.stats().connected, 'connection with the rotated secret');
  });
});

describe('MQTT uplink: TLS', () => {
  const tlsBroker = (): Promise<TestBroker> => broker({ tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true } });

  it('connects over mqtts:// with the CA file and a client certificate, and sends telemetry', async () => {
    const b = await tlsBroker();
    const box = new MemoryOutbox();
    const u = uplink(b.url, box, { endpoint: { url: b.url, username: 'gw-01', password: 'x', caFile: pki.files.ca, certFile: pki.files.clientCert, keyFile: pki.files.clientKey } });
    await until(() => u.stats().connected, 'TLS connection');
    box.append(range(0, 5));
    await until(() => u.stats().readingsSent === 5, 'readings over TLS');
  });

  it.each([
    ['a broker signed by another CA', () => ({ caFile: pki.files.otherCa, certFile: pki.files.clientCert, keyFile: pki.files.clientKey })],
    ['no client certificate where one is required', () => ({ caFile: pki.files.ca })],
  ])('refuses %s and keeps retrying', async (_name, files) => {
    const b = await tlsBroker();
    const u = uplink(b.url, new MemoryOutbox(), { endpoint: { url: b.url, username: 'gw-01', password: 'x', ...files() } });
    await until(() => u.stats().connectAttempts >= 3, 'retries');
    expect(u.stats()).toMatchObject({ connected: false, messagesSent: 0 });
  });
});

describe('MQTT uplink: reconnection', () => {
  it('waits a jittered, doubling delay between attempts (fake clock)', async () => {
    const closed = await startTestBroker();
    const url = closed.url;
    await closed.close(); // nothing listens there any more: every attempt is refused at once
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const u = uplink(url, new MemoryOutbox(), { reconnectMinMs: 100, reconnectMaxMs: 400, random: () => 1 });
      const settle = async (disconnects: number): Promise<void> => {
        for (let i = 0; i < 10_000 && u.stats().disconnects < disconnects; i++) await new Promise((r) => setImmediate(r));
        expect(u.stats().disconnects).toBe(disconnects);
      };
      await settle(1);
      for (const [n, delay] of [[1, 100], [2, 200], [3, 400], [4, 400]] as const) {
        expect(u.stats().connectAttempts).toBe(n);
        await vi.advanceTimersByTimeAsync(delay - 1);
        expect(u.stats().connectAttempts).toBe(n);
        await vi.advanceTimersByTimeAsync(1);
        expect(u.stats().connectAttempts).toBe(n + 1);
        await settle(n + 1);
      }
      await u.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('MQTT uplink: memory', () => {
  it("never builds mqtt-packet's cache of 65,536 packet-id buffers (6 MB of a gateway's heap)", async () => {
    const b = await broker();
    const received = await recorder(b.url);
    // In a process of its own: the broker here writes with mqtt-packet too, and the cache is process-wide.
    const script = [
      `import { createClient } from ${JSON.stringify(compiledEdgeFile('uplink/connection.ts'))};`,
      "import { createRequire } from 'node:module';",
      `const client = await createClient({ url: ${JSON.stringify(b.url)}, username: 'gw-mem' }, { clientId: 'gw-mem', clean: true });`,
      "await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });",
      "for (let i = 0; i < 3; i++) await client.publishAsync('ioc/v1/s/gw-mem/telemetry', 'x', { qos: 1 });",
      "const numbers = createRequire(createRequire(import.meta.resolve('mqtt')).resolve('mqtt-packet'))('./numbers.js');",
      'console.log(Object.keys(numbers.cache).length);',
      'await client.endAsync();',
    ].join('\n');
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.dirname(compiledEdgeFile('uplink/connection.ts')) });
    await until(() => received.filter((m) => m.topic === 'ioc/v1/s/gw-mem/telemetry').length === 3, 'the three publishes');
    expect(stdout.trim()).toBe('0');
  });
});
