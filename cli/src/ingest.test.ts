import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startBroker, type CredentialVerifier, type RunningBroker } from '@ioc/broker';
import {
  createInfluxStore, findFreePort, openSqliteDeadLetterStore, startInfluxd, startIngest,
  type DeadLetterStore, type Ingest, type IngestOptions, type ManagedInfluxd, type TelemetryStore,
} from '@ioc/cloud';

/**
 * Ingest on real parts: a real influxd (stopped and restarted mid-stream), the real broker (@ioc/broker) with a
 * simple verifier, and mqtt.js publishing as gateways. Each test uses its own site, database and ingest account.
 */

const log = pino({ level: 'silent' });
let dataDir: string;
let influxd: ManagedInfluxd;
let broker: RunningBroker;
let tests = 0;
const cleanups: (() => Promise<unknown>)[] = [];

/** Account `gw-{n}` is gateway gw-1 of site `site-{n}`; `svc-{n}` is an ingest account. Any password. */
const verifier: CredentialVerifier = {
  verify: (username) => {
    const [, kind, n] = /^(svc|gw)-(\d+)$/.exec(username) ?? [];
    if (kind === 'svc') return Promise.resolve({ ok: true, principal: { kind: 'service', name: username, role: 'ingest' } });
    if (kind === 'gw') return Promise.resolve({ ok: true, principal: { kind: 'gateway', site: `site-${n}`, gateway: 'gw-1' } });
    return Promise.resolve({ ok: false, reason: 'unknown' });
  },
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ioc-ingest-'));
  influxd = await startInfluxd({ dataDir });
  // Tests publish hundreds of messages a second from one gateway: lift the per-client rate limits.
  broker = await startBroker({ port: 0, credentials: verifier, log, limits: { publishRatePerSec: 1e6, publishBurst: 1e6, maxInflight: 1000 } });
});
afterAll(async () => {
  await broker?.close();
  await influxd?.stop();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Rig {
  n: number;
  site: string;
  store: TelemetryStore;
  deadLetters: DeadLetterStore;
  ingest: Ingest;
  publisher: MqttClient;
  topic: string;
  /** Starts another ingest on the same account (same persistent session). */
  restartIngest(over?: Partial<IngestOptions>): Promise<Ingest>;
}

async function rig(over: Partial<IngestOptions> = {}): Promise<Rig> {
  const n = ++tests;
  const site = `site-${n}`;
  const store = createInfluxStore({ url: influxd.url, database: `ingest_${process.pid}_${n}` });
  await store.init();
  const deadLetters = openSqliteDeadLetterStore({ path: ':memory:' });
  const options: IngestOptions = {
    mqttUrl: broker.url,
    username: `svc-${n}`,
    password: 'x',
    store,
    deadLetters,
    log,
    flushIntervalMs: 50,
    retryDelayMs: 50,
    maxRetryDelayMs: 300,
    ...over,
  };
  let ingest = await startIngest(options);
  const publisher = await mqtt.connectAsync(broker.url, {
    clientId: `gw-${n}`,
    username: `gw-${n}`,
    password: 'x',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  cleanups.push(async () => {
    await publisher.endAsync(true);
    await ingest.close();
    await deadLetters.close();
    await store.close();
  });
  return {
    n,
    site,
    store,
    deadLetters,
    get ingest() {
      return ingest;
    },
    publisher,
    topic: `ioc/v1/${site}/gw-1/telemetry`,
    async restartIngest(o = {}) {
      ingest = await startIngest({ ...options, ...o });
      return ingest;
    },
  };
}

/** A recent whole second, so every reading is well inside the raw retention. */
const T0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;

/** Message `seq`: ten readings of sensor `s-{seq % 7}`, values unique per (seq, i). */
function message(seq: number, readingsPer = 10): string {
  const readings = Array.from({ length: readingsPer }, (_, i) => ({
    sensor: `s-${seq % 7}`,
    metric: 'pm25',
    ts: T0 + seq * readingsPer + i,
    value: seq + i / 100,
  }));
  return JSON.stringify({ seq, readings });
}

async function publishAll(client: MqttClient, topic: string, payloads: (string | Buffer)[]): Promise<void> {
  for (let i = 0; i < payloads.length; i += 100) {
    await Promise.all(payloads.slice(i, i + 100).map((p) => client.publishAsync(topic, p, { qos: 1 })));
  }
}

/** Polls `check` until it holds; fails with `what` after `ms`. Not a timing assertion: a bound on waiting. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const everything = (r: Rig) => r.store.query({ site: r.site, from: T0 - 86_400_000, to: T0 + 86_400_000, limit: 100_000 });

describe('ingest: readings reach InfluxDB exactly', () => {
  it('round-trips exact values, millisecond timestamps and qualities from MQTT to the store', async () => {
    const r = await rig();
    const readings = [
      { sensor: 'pm-01', metric: 'pm25', ts: T0 + 1, value: 0.1 + 0.2 },
      { sensor: 'pm-01', metric: 'pm10', ts: T0 + 999, value: -0, quality: 'uncertain' },
      { sensor: 'th-01', metric: 'temperature', ts: T0 + 123_456, value: -12.345678901234567, quality: 'bad' },
      { sensor: 'th-01', metric: 'pressure', ts: T0 + 2, value: 1e-300 },
      { sensor: 'cam-1', metric: 'camera_online', ts: T0 + 3, value: 1 },
      { sensor: 'pc-1', metric: 'pc_0_3', ts: T0 + 4, value: 2 ** 53 - 1 },
    ];
    await publishAll(r.publisher, r.topic, [JSON.stringify({ seq: 1, readings })]);
    await until('the readings', () => r.ingest.stats().readings === readings.length);
    const got = await everything(r);
    expect(got).toEqual(
      readings
        .map((x) => ({ site: r.site, gateway: 'gw-1', quality: 'good', ...x, value: Object.is(x.value, -0) ? 0 : x.value }))
        .sort((a, b) => a.ts - b.ts),
    );
    expect(r.ingest.status.list()).toEqual([
      expect.objectContaining({ site: r.site, gateway: 'gw-1', online: true, lastLagMs: expect.any(Number) as unknown }),
    ]);
  });

  it('shows every valid message to the observer on arrival; an observer that throws changes nothing', async () => {
    const seen: string[] = [];
    const r = await rig({
      observer: {
        readings: (site, gateway, readings, historical) => void seen.push(`${site}/${gateway} ${readings.length} ${String(historical)}`),
        state: () => {
          throw new Error('a broken rule');
        },
      },
    });
    await r.publisher.publishAsync(`ioc/v1/${r.site}/gw-1/state`, JSON.stringify({ online: true }), { qos: 1 });
    await publishAll(r.publisher, r.topic, [message(1), '{"bad json', JSON.stringify({ ...JSON.parse(message(2)) as object, historical: true })]);
    await until('the readings', () => r.ingest.stats().readings === 20);
    expect(seen).toEqual([`${r.site}/gw-1 10 false`, `${r.site}/gw-1 10 true`]);
    expect(r.ingest.status.list().find((s) => s.site === r.site)?.online).toBe(true);
  });

  it('batches many messages into few writes, and acknowledges every one', async () => {
    const r = await rig({ maxBatchPoints: 1000 });
    await publishAll(r.publisher, r.topic, Array.from({ length: 500 }, (_, seq) => message(seq)));
    await until('5,000 readings', () => r.ingest.stats().readings === 5000);
    expect(r.ingest.pipeline().batches).toBeLessThan(50); // one write per message would be 500
    await until('every PUBACK', () => r.ingest.pipeline().unacknowledged === 0);
    expect(await everything(r)).toHaveLength(5000);
  });

  it('leaves the point count unchanged when a batch is replayed', async () => {
    const r = await rig();
    const batch = Array.from({ length: 50 }, (_, seq) => message(seq));
    await publishAll(r.publisher, r.topic, batch);
    await until('the first pass', () => r.ingest.stats().readings === 500);
    const first = await everything(r);
    await publishAll(r.publisher, r.topic, batch); // the gateway's outbox replays after a lost PUBACK
    await until('the replay', () => r.ingest.stats().readings === 1000);
    expect(await everything(r)).toEqual(first);
    expect(first).toHaveLength(500);
  });
});

describe('ingest: rollups of late readings', () => {
  it('has the store roll up readings replayed after an outage, which its continuous queries would not revisit', async () => {
    const r = await rig({ rollupRefreshMs: 50 });
    const hour = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
    const readings = [0, 1, 2].map((i) => ({ sensor: 's-1', metric: 'pm25', ts: hour + i * 1000, value: 10 * (i + 1) }));
    await publishAll(r.publisher, r.topic, [JSON.stringify({ seq: 1, historical: true, readings })]);
    const window = { site: r.site, from: hour, to: hour + 3_600_000 };
    await until('both rollups', async () => (await r.store.aggregate({ ...window, every: '1h', fn: 'max' })).length > 0);
    expect(await r.store.aggregate({ ...window, every: '1m', fn: 'mean' })).toEqual([
      { ts: hour, site: r.site, gateway: 'gw-1', sensor: 's-1', metric: 'pm25', value: 20, count: 3 },
    ]);
    expect(await r.store.aggregate({ ...window, every: '1h', fn: 'max' })).toMatchObject([{ ts: hour, value: 30, count: 3 }]);
  });
});

describe('ingest: InfluxDB stopped mid-stream', () => {
  async function restartInfluxd(): Promise<void> {
    influxd = await startInfluxd({ dataDir, httpPort: influxd.httpPort, bindPort: influxd.bindPort });
  }

  it('holds the messages unacknowledged while InfluxDB is down, and stores every reading exactly once after', async () => {
    const r = await rig();
    const all = Array.from({ length: 600 }, (_, seq) => message(seq));
    await publishAll(r.publisher, r.topic, all.slice(0, 200));
    await until('the first 200 messages', () => r.ingest.stats().readings === 2000);

    await influxd.stop();
    await publishAll(r.publisher, r.topic, all.slice(200, 400)); // the broker acknowledges these to the gateway
    await until('retries against the stopped InfluxDB', () => r.ingest.stats().storeRetries > 0 && r.ingest.stats().messages >= 400);
    expect(r.ingest.pipeline().unacknowledged).toBeGreaterThan(0);
    expect(r.ingest.stats().readings).toBe(2000);

    await restartInfluxd();
    await publishAll(r.publisher, r.topic, all.slice(400));
    await until('all 6,000 readings', () => r.ingest.stats().readings >= 6000);
    const got = await everything(r);
    expect(got).toHaveLength(6000);
    expect(new Set(got.map((p) => `${p.sensor}@${p.ts}`)).size).toBe(6000);
    expect(got.every((p) => p.value === Math.floor((p.ts - T0) / 10) + ((p.ts - T0) % 10) / 100)).toBe(true);
    expect(r.ingest.stats().rejected).toBe(0);
  });

  it('gets the unacknowledged messages again after an ingest restart during the outage', async () => {
    const r = await rig({ closeTimeoutMs: 100 });
    await influxd.stop();
    await publishAll(r.publisher, r.topic, Array.from({ length: 100 }, (_, seq) => message(seq)));
    await until('the messages to arrive', () => r.ingest.stats().messages >= 100);
    await r.ingest.close(); // gives up on the writes: nothing was acknowledged
    expect(r.ingest.stats().readings).toBe(0);

    await restartInfluxd();
    const again = await r.restartIngest(); // same account: the broker's persistent session sends them again
    await until('the redelivered readings', () => again.stats().readings >= 1000);
    expect(await everything(r)).toHaveLength(1000);
  });
});

describe('ingest: every kind of garbage becomes a dead letter with its code, and nothing else is lost', () => {
  it('dead-letters each class with the right code and path, and stores the valid messages around them', async () => {
    const r = await rig();
    const reading = { sensor: 's-1', metric: 'pm25', ts: T0, value: 1 };
    const garbage: [string, string | Buffer, string, string][] = [
      ['malformed JSON', '{"seq":1,"readings":[', 'IOC_ERR_PAYLOAD_JSON', ''],
      ['oversize', Buffer.alloc(262_400, 0x20), 'IOC_ERR_PAYLOAD_TOO_LARGE', ''], // over 256 KiB, under the broker's packet cap
      ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'IOC_ERR_PAYLOAD_ENCODING', ''],
      ['wrong type', JSON.stringify({ seq: 1, readings: [{ ...reading, value: '12' }] }), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/value'],
      ['NaN', '{"seq":1,"readings":[{"sensor":"s-1","metric":"pm25","ts":1764064800000,"value":NaN}]}', 'IOC_ERR_PAYLOAD_JSON', ''],
      ['Infinity', '{"seq":1,"readings":[{"sensor":"s-1","metric":"pm25","ts":1764064800000,"value":Infinity}]}', 'IOC_ERR_PAYLOAD_JSON', ''],
      ['1e999', '{"seq":1,"readings":[{"sensor":"s-1","metric":"pm25","ts":1764064800000,"value":1e999}]}', 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/value'],
      ['ts in seconds', JSON.stringify({ seq: 1, readings: [{ ...reading, ts: 1_764_064_800 }] }), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/ts'],
      ['unknown metric', JSON.stringify({ seq: 1, readings: [reading, { ...reading, metric: 'pm3' }] }), 'IOC_ERR_UNKNOWN_METRIC', '/readings/1/metric'],
      ['empty', '', 'IOC_ERR_PAYLOAD_JSON', ''],
    ];
    const good = (seq: number) => message(seq, 2);
    const payloads = garbage.flatMap(([, payload], i) => [good(i), payload]);
    await publishAll(r.publisher, r.topic, payloads);
    await until('every message settled', () => r.ingest.stats().rejected === garbage.length && r.ingest.stats().readings === 2 * garbage.length);

    const { letters, total } = await r.deadLetters.list({ limit: 100 });
    expect(total).toBe(garbage.length);
    const byOrder = [...letters].reverse();
    garbage.forEach(([name, payload, code, where], i) => {
      expect(byOrder[i], name).toMatchObject({ topic: r.topic, site: r.site, gateway: 'gw-1', code, path: where });
      const sent = Buffer.from(payload);
      expect(byOrder[i]?.payloadBytes, name).toBe(sent.length);
      expect(byOrder[i]?.payload, name).toEqual(sent.subarray(0, 65_536));
    });
    expect(await everything(r)).toHaveLength(2 * garbage.length);
  });

  it('dead-letters a reading InfluxDB refuses (older than the raw retention) and writes the rest of its batch', async () => {
    const r = await rig({ flushIntervalMs: 500 });
    const old = Date.now() - 60 * 86_400_000; // valid on the wire, beyond the 30-day raw policy
    const tooOld = JSON.stringify({ seq: 99, readings: [{ sensor: 's-1', metric: 'pm25', ts: old, value: 1 }] });
    const payloads = [...Array.from({ length: 20 }, (_, seq) => message(seq)), tooOld, ...Array.from({ length: 20 }, (_, seq) => message(seq + 20))];
    await publishAll(r.publisher, r.topic, payloads);
    await until('the batch settled', () => r.ingest.stats().rejected === 1 && r.ingest.stats().readings === 400);
    const [letter] = (await r.deadLetters.list()).letters;
    expect(letter).toMatchObject({ code: 'IOC_ERR_STORE_BAD_DATA', message: expect.stringContaining('beyond retention policy') as unknown });
    expect(letter?.payload.toString()).toBe(tooOld);
    expect(await everything(r)).toHaveLength(400);
  });

  it('dead-letters an invalid state message, and keeps gateway status from valid ones', async () => {
    const r = await rig();
    const stateTopic = `ioc/v1/${r.site}/gw-1/state`;
    await r.publisher.publishAsync(stateTopic, '{"online":"yes"}', { qos: 1, retain: true });
    await r.publisher.publishAsync(stateTopic, JSON.stringify({ online: true, ts: Date.now(), agent: { version: '9.9.9' }, outbox: { pending: 3, dropped: 1 } }), { qos: 1, retain: true });
    await until('both state messages', () => r.ingest.stats().messages >= 2 && r.ingest.stats().rejected === 1);
    expect((await r.deadLetters.list()).letters[0]).toMatchObject({ topic: stateTopic, code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/online' });
    await until('the status', () => r.ingest.status.list().some((s) => s.site === r.site && s.agentVersion === '9.9.9'));
    expect(r.ingest.status.list().find((s) => s.site === r.site)).toMatchObject({
      online: true,
      outboxPending: 3,
      outboxDropped: 1,
      clockSkewMs: expect.any(Number) as unknown,
    });
    await r.publisher.publishAsync(stateTopic, "", { qos: 1, retain: true }); // clear the retained state
  });
});

describe('ingest behind a broker without our topic rules (Mosquitto)', () => {
  let mosquitto: ChildProcess | undefined;
  let url: string;

  beforeAll(async () => {
    const port = await findFreePort();
    const conf = path.join(dataDir, 'mosquitto.conf');
    await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    url = `mqtt://127.0.0.1:${port}`;
    await until('mosquitto to listen', () => canConnect(port), 10_000);
  });
  afterAll(async () => {
    if (mosquitto && mosquitto.exitCode === null) {
      const exited = new Promise((resolve) => mosquitto?.once('exit', resolve));
      mosquitto.kill('SIGTERM');
      await exited;
    }
  });

  it('dead-letters messages on malformed topics with IOC_ERR_TOPIC and the bad segment', async () => {
    const store = createInfluxStore({ url: influxd.url, database: `ingest_${process.pid}_mosquitto` });
    await store.init();
    const deadLetters = openSqliteDeadLetterStore({ path: ':memory:' });
    const ingest = await startIngest({ mqttUrl: url, username: 'svc-ingest', password: 'x', store, deadLetters, log, flushIntervalMs: 50 });
    const publisher = await mqtt.connectAsync(url, { clientId: 'anyone', protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(async () => {
      await publisher.endAsync(true);
      await ingest.close();
      await deadLetters.close();
      await store.close();
    });
    const wrong: [string, string][] = [
      ['ioc/v1/Ha Nam/gw-1/telemetry', 'site'],
      ['ioc/v1/ha-nam/GW_1/telemetry', 'gateway'],
      ['ioc/v1/ha-nam/gw.1/state', 'gateway'],
    ];
    for (const [topic] of wrong) await publisher.publishAsync(topic, message(1), { qos: 1 });
    await publisher.publishAsync('ioc/v1/ha-nam/gw-1/telemetry', message(2), { qos: 1 });
    await until('every message settled', () => ingest.stats().rejected === wrong.length && ingest.stats().readings === 10);
    const letters = (await deadLetters.list()).letters.reverse();
    expect(letters.map((l) => [l.topic, l.code, l.path, l.site, l.gateway])).toEqual(
      wrong.map(([topic, segment]) => [topic, 'IOC_ERR_TOPIC', segment, null, null]),
    );
  });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
