import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type CredentialVerifier, type RunningBroker } from '@ioc/broker';
import { parseAgentConfig, startAgent, type RunningAgent } from '@ioc/edge';
import { openPtyPair, type PtyPair } from '@ioc/simulators';
import { decodeTelemetry, type Reading } from '@ioc/protocol';

/**
 * Store and forward on real parts: PMS5003 frames written into a socat pty → the edge agent (real driver, disk
 * outbox) → QoS 1 to the real broker (@ioc/broker, deny by default, a fixed verifier) → a subscriber keyed like the
 * store (sensor, metric, ts). Each test ends with every reading present exactly once by key.
 */
const AGENT_PROCESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../edge/dist/testing/agent-process.js');
const SECRET = 'gw-secret';
const log = pino({ level: 'silent' });

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-durability-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A PMS5003 frame numbered k: pm1 = 1, pm2.5 = k, pm10 = k + 1 (µg/m³). */
function frame(k: number): Buffer {
  const f = Buffer.alloc(32);
  f.writeUInt16BE(0x424d, 0);
  f.writeUInt16BE(28, 2);
  f.writeUInt16BE(1, 10);
  f.writeUInt16BE(k, 12);
  f.writeUInt16BE(k + 1, 14);
  let sum = 0;
  for (let i = 0; i < 30; i++) sum += f[i] ?? 0;
  f.writeUInt16BE(sum & 0xffff, 30);
  return f;
}

/** The broker the cloud runs, with a fixed credential check; `admitGateway` can hold the gateway back. */
async function broker(port = 0, admitGateway: () => boolean = () => true): Promise<RunningBroker> {
  const credentials: CredentialVerifier = {
    verify: async (username, password) => {
      if (username === 'gw-01' && password.toString() === SECRET && admitGateway()) return { ok: true, principal: { kind: 'gateway', site: 'ha-nam', gateway: 'gw-01' } };
      if (username === 'svc-ingest' && password.toString() === 'ingest') return { ok: true, principal: { kind: 'service', name: 'svc-ingest', role: 'ingest' } };
      return { ok: false, reason: 'bad_secret' };
    },
  };
  const b = await startBroker({ port, credentials, log });
  cleanups.push(() => b.close());
  return b;
}

/** The cloud side, keyed like InfluxDB: (sensor, metric, ts) → value; counts duplicates and keeps seq/historical. */
interface Downstream {
  client: MqttClient;
  points: Map<string, number>;
  conflicts: string[];
  duplicates: number;
  messages: { seq: number; historical: boolean; readings: Reading[] }[];
}

async function downstream(url: string): Promise<Downstream> {
  const client = await mqtt.connectAsync(url, { clientId: 'svc-ingest', username: 'svc-ingest', password: 'ingest', clean: false, reconnectPeriod: 50 });
  cleanups.push(() => client.endAsync(true));
  const d: Downstream = { client, points: new Map(), conflicts: [], duplicates: 0, messages: [] };
  client.on('message', (_topic, payload) => {
    const batch = decodeTelemetry(payload);
    if (!batch.ok) throw new Error(batch.error.message);
    d.messages.push(batch.value);
    for (const r of batch.value.readings) {
      const key = `${r.sensor}/${r.metric}/${r.ts}`;
      const seen = d.points.get(key);
      if (seen === undefined) d.points.set(key, r.value);
      else if (seen === r.value) d.duplicates += 1;
      else d.conflicts.push(`${key}: ${seen} then ${r.value}`);
    }
  });
  await client.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
  return d;
}

/**
 * The frame numbers present downstream with all three readings under one ts (pm25 = k), and the readings that do not
 * fit any frame written (pm1 ≠ 1 or pm10 ≠ pm25 + 1): those would be corruption.
 */
function framesDownstream(d: Downstream): { frames: Set<number>; misfits: string[] } {
  const byTs = new Map<string, Map<string, number>>();
  for (const [key, value] of d.points) {
    const [sensor, metric, ts] = key.split('/');
    const at = `${sensor}/${ts}`;
    const m = byTs.get(at) ?? new Map<string, number>();
    m.set(metric!, value);
    byTs.set(at, m);
  }
  const frames = new Set<number>();
  const misfits: string[] = [];
  for (const [at, m] of byTs) {
    const [pm1, pm25, pm10] = [m.get('pm1'), m.get('pm25'), m.get('pm10')];
    if (pm1 === undefined || pm25 === undefined || pm10 === undefined) continue; // the rest is in a later batch
    if (pm1 !== 1 || pm10 !== pm25 + 1 || m.size !== 3) misfits.push(`${at}: ${JSON.stringify([...m])}`);
    else frames.add(pm25);
  }
  return { frames, misfits };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function configFile(url: string, pty: PtyPair, dataDir: string, httpPort: number): string {
  const file = path.join(dir, `gw-${n++}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      gateway: { site: 'ha-nam', id: 'gw-01' },
      dataDir,
      mqtt: { url, password: SECRET, reconnectMinMs: 50, reconnectMaxMs: 200 },
      http: { port: httpPort },
      uplink: { maxBatchReadings: 90, lingerMs: 5 },
      inputs: [{ driver: 'pms5003', id: 'pms-1', port: pty.hostPath, sensor: 'pm-01', emitCounts: false }],
    }),
  );
  return file;
}

/** Starts the compiled agent in a child process and waits for "ready". */
async function agentProcess(config: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [AGENT_PROCESS, config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`agent exited with ${code} (run "npx tsc -b" if edge/dist is stale)`)));
  });
  return child;
}

/** A metric's value from the agent's /metrics. */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('edge agent durability', () => {
  it('loses no acknowledged reading when killed with SIGKILL mid-stream, and sends each one after the restart', async () => {
    const b = await broker();
    const down = await downstream(b.url);
    const pty = await openPtyPair(mkdtempSync(path.join(dir, 'pty-')));
    cleanups.push(() => pty.close());
    const dataDir = path.join(dir, `data-${n++}`);
    const httpPort = await freePort();
    const metrics = `http://127.0.0.1:${httpPort}`;
    const opened = `ioc_edge_input_opens{input="pms-1",driver="pms5003"}`;
    const accepted = (): Promise<number> => metric(metrics, 'ioc_edge_readings_total');

    const first = await agentProcess(configFile(b.url, pty, dataDir, httpPort));
    await until(async () => (await metric(metrics, opened)) === 1 && (await metric(metrics, 'ioc_edge_mqtt_connected')) === 1, 'port open and MQTT up');
    // One frame at a time, each written once the previous one is stored: the PMS5003 driver stamps the frames of one
    // read with one time, so frames must not pile up in the pty (a real sensor sends one a second).
    const device = openSync(pty.devicePath, 'w');
    let k = 0;
    while (k < 200) {
      writeSync(device, frame(k++));
      await until(async () => (await accepted()) === 3 * k, `frame ${k - 1} stored`);
    }
    const acknowledged = await accepted(); // every frame counted here is in the outbox
    writeSync(device, frame(k++)); // this one is being read, decoded and stored…
    first.kill('SIGKILL'); // …when the agent dies
    closeSync(device);
    const seqBeforeKill = Math.max(0, ...down.messages.map((m) => m.seq));
    const messagesBeforeKill = down.messages.length;

    await agentProcess(configFile(b.url, pty, dataDir, httpPort));
    await until(async () => (await metric(metrics, opened)) === 1, 'port open again');
    const device2 = openSync(pty.devicePath, 'w');
    const after = Array.from({ length: 30 }, (_, i) => 60_000 + i);
    for (const f of after) {
      const stored = (await accepted()) + 3;
      writeSync(device2, frame(f));
      await until(async () => (await accepted()) >= stored, `frame ${f} stored`);
    }
    closeSync(device2);
    const wanted = [...Array.from({ length: acknowledged / 3 }, (_, i) => i), ...after];
    await until(() => wanted.every((f) => framesDownstream(down).frames.has(f)), 'every acknowledged frame downstream', 20_000);

    const { frames, misfits } = framesDownstream(down);
    expect(misfits).toEqual([]);
    expect(down.conflicts).toEqual([]); // one key, one value: duplicates at the wire are harmless
    expect([...frames].filter((f) => f >= k && !after.includes(f))).toEqual([]); // nothing that was never measured
    expect(wanted.filter((f) => !frames.has(f))).toEqual([]);
    const restartedSeqs = down.messages.slice(messagesBeforeKill).map((m) => m.seq);
    expect(Math.min(...restartedSeqs)).toBeGreaterThan(seqBeforeKill); // seq is persisted: it goes on after the kill
  }, 40_000);

  it('keeps readings through a broker outage and sends each one after it, the outage ones as historical with their time of measurement', async () => {
    let admitGateway = true;
    const first = await broker(0, () => admitGateway);
    const down = await downstream(first.url);
    const pty = await openPtyPair(mkdtempSync(path.join(dir, 'pty-')));
    cleanups.push(() => pty.close());
    let last = 0;
    const now = (): number => (last = Math.max(Date.now(), last + 1));
    const config = parseAgentConfig({
      gateway: { site: 'ha-nam', id: 'gw-01' },
      dataDir: path.join(dir, `data-${n++}`),
      mqtt: { url: first.url, password: SECRET, reconnectMinMs: 50, reconnectMaxMs: 200 },
      http: { port: 0 },
      uplink: { maxBatchReadings: 90, lingerMs: 5 },
      inputs: [{ driver: 'pms5003', id: 'pms-1', port: pty.hostPath, sensor: 'pm-01', emitCounts: false }],
    });
    const agent: RunningAgent = await startAgent(config, log, { now });
    cleanups.push(() => agent.stop());
    await until(() => agent.stats().uplink.connected && agent.stats().inputs['pms-1']?.stats.connected === 1, 'agent up');
    const device = openSync(pty.devicePath, 'w');
    cleanups.push(() => closeSync(device));
    // One frame at a time, each written once the previous one is stored (see above).
    const write = async (from: number, to: number): Promise<void> => {
      for (let k = from; k < to; k++) {
        const stored = agent.stats().readings + 3;
        writeSync(device, frame(k));
        while (agent.stats().readings < stored) await new Promise((r) => setImmediate(r));
      }
    };

    await write(0, 100);
    await until(() => framesDownstream(down).frames.size === 100, 'frames before the outage');
    await first.close();
    await until(() => !agent.stats().uplink.connected, 'the outage');
    await write(100, 200);
    await until(() => agent.stats().readings === 600, 'outage frames stored');
    const restartedAt = Date.now();
    admitGateway = false;
    await broker(first.port, () => admitGateway); // the same address, an empty broker (sessions lost)
    await until(() => down.client.connected, 'the subscriber back');
    await down.client.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    admitGateway = true;
    await until(() => agent.stats().uplink.connected, 'the agent back');
    await write(200, 250);
    await until(() => framesDownstream(down).frames.size === 250, 'every frame', 20_000);

    expect(down.conflicts).toEqual([]);
    expect(framesDownstream(down).misfits).toEqual([]);
    expect([...framesDownstream(down).frames].sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const outage = down.messages.flatMap((m) => m.readings.filter((r) => r.metric === 'pm25' && r.value >= 100 && r.value < 200).map((r) => ({ ...r, historical: m.historical })));
    expect(outage.length).toBeGreaterThanOrEqual(100);
    // Outage readings go out as historical, stamped when they were measured: before any reading taken after the
    // broker came back (the driver keeps a sensor's timestamps strictly increasing, so they may run a few ms ahead
    // of the wall clock, hence the comparison with the live readings rather than with Date.now()).
    expect(outage.filter((r) => !r.historical)).toEqual([]);
    const liveReadings = down.messages.flatMap((m) => m.readings.filter((r) => r.metric === 'pm25' && r.value >= 200).map((r) => ({ ts: r.ts, historical: m.historical })));
    const firstLive = Math.min(...liveReadings.map((r) => r.ts));
    expect(outage.every((r) => r.ts < firstLive)).toBe(true);
    expect(Math.max(...outage.map((r) => r.ts))).toBeLessThanOrEqual(restartedAt + 50);
    expect(liveReadings.every((r) => !r.historical)).toBe(true);
    expect(agent.stats().outbox).toMatchObject({ pending: 0, dropped: 0 });
  }, 40_000);
});
