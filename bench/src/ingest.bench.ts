/**
 * End-to-end ingest: readings/s from MQTT publish (10 readings per message, QoS 1) to InfluxDB, with the count
 * stored checked against the count the broker acknowledged to the publishers — ours beside Node-RED
 * (mqtt in → function → node-red-contrib-influxdb "influxdb batch"), the flow a user would otherwise build.
 *
 * Same broker code and limits (a fresh @ioc/broker per system, in its own thread), same influxd (one database per
 * system), same publishers (their own thread, 4 gateways, 100 messages in flight each). Bounded: a fixed number of
 * readings per run, and a wait for the stored count that ends when it stops growing.
 * `npx tsc -b bench && node bench/dist/run.js ingest` (IOC_BENCH_INGEST_READINGS to change the 400,000 readings).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import pino from 'pino';
import { startBroker, type CredentialVerifier } from '@ioc/broker';
import {
  AlertHub, AlertService, AlertStore, createInfluxStore, findFreePort, openSqliteDeadLetterStore, Registry, startInfluxd, startIngest, type ManagedInfluxd,
} from '@ioc/cloud';
import type { Bench, BenchTable } from './table.js';

const READINGS = Number(process.env.IOC_BENCH_INGEST_READINGS ?? 400_000);
const PER_MESSAGE = 10;
const GATEWAYS = 4;
/** Publishes awaited together per gateway (DEPENDENCIES.md: await publishes in batches). */
const IN_FLIGHT = 100;
const SITE = 'bench';
/** How long the stored count may stay unchanged before the run is declared over (what is missing is lost). */
const STALL_MS = 8_000;
const MAX_RUN_MS = 180_000;

interface RunResult {
  system: string;
  sent: number;
  stored: number;
  publishMs: number;
  storeMs: number;
  steady: number;
  notes: string[];
}

// ─── threads: the broker and the publishers, so neither shares an event loop with the ingest under test ───

/** Every gateway `gw-*` publishes as itself on site `bench`; `svc-*` subscribe with the ingest role. */
const verifier: CredentialVerifier = {
  verify: (username) => {
    if (username.startsWith('svc-')) return Promise.resolve({ ok: true, principal: { kind: 'service', name: username, role: 'ingest' } });
    if (username.startsWith('gw-')) return Promise.resolve({ ok: true, principal: { kind: 'gateway', site: SITE, gateway: username } });
    return Promise.resolve({ ok: false, reason: 'unknown' });
  },
};

async function brokerThread(): Promise<void> {
  const broker = await startBroker({
    port: 0,
    credentials: verifier,
    log: pino({ level: 'silent' }),
    // Four connections stand for thousands of gateways: lift the per-client rate and in-flight limits.
    limits: { publishRatePerSec: 1e9, publishBurst: 1e9, maxInflight: 10_000, queueLimit: 1_000_000 },
  });
  parentPort?.postMessage({ url: broker.url });
  parentPort?.once('message', () => {
    void broker.close().then(() => process.exit(0));
  });
}

interface PublisherJob {
  url: string;
  messages: number;
  t0: number;
}

async function publisherThread(job: PublisherJob): Promise<void> {
  const perGateway = Math.ceil(job.messages / GATEWAYS);
  const started = Date.now();
  const sent = await Promise.all(
    Array.from({ length: GATEWAYS }, async (_, g) => {
      const id = `gw-${g}`;
      const client = await mqtt.connectAsync(job.url, { clientId: id, username: id, password: 'x', protocolVersion: 4, reconnectPeriod: 0 });
      const topic = `ioc/v1/${SITE}/${id}/telemetry`;
      let acked = 0;
      for (let m = 0; m < perGateway; m += IN_FLIGHT) {
        const chunk = Array.from({ length: Math.min(IN_FLIGHT, perGateway - m) }, (_, k) => {
          const seq = m + k;
          const readings = Array.from({ length: PER_MESSAGE }, (_, i) => ({ sensor: `s-${i}`, metric: 'pm25', ts: job.t0 + seq, value: seq + i / 10 }));
          return client.publishAsync(topic, JSON.stringify({ seq, readings }), { qos: 1 }).then(
            () => void (acked += PER_MESSAGE),
            () => undefined, // refused by the broker: not sent
          );
        });
        await Promise.all(chunk);
      }
      await client.endAsync();
      return acked;
    }),
  );
  parentPort?.postMessage({ sent: sent.reduce((a, b) => a + b, 0), ms: Date.now() - started });
}

if (!isMainThread) {
  const data = workerData as { role: 'broker' } | ({ role: 'publisher' } & PublisherJob);
  if (data.role === 'broker') void brokerThread();
  else void publisherThread(data);
}

function thread<T>(data: object): { worker: Worker; first: Promise<T> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  const first = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, first };
}

async function withBroker<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const { worker, first } = thread<{ url: string }>({ role: 'broker' });
  const { url } = await first;
  try {
    return await fn(url);
  } finally {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}

function publish(url: string, t0: number): Promise<{ sent: number; ms: number }> {
  const job: PublisherJob = { url, messages: READINGS / PER_MESSAGE, t0 };
  return thread<{ sent: number; ms: number }>({ role: 'publisher', ...job }).first;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

// ─── InfluxDB helpers ───

async function influxql(influxUrl: string, q: string, db?: string): Promise<unknown> {
  const res = await fetch(`${influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q, ...(db ? { db } : {}) }) });
  return res.json();
}

async function storedCount(influxUrl: string, db: string, rp: string): Promise<number> {
  const body = (await influxql(influxUrl, `SELECT count("value") FROM "${db}"."${rp}"."telemetry" WHERE "site" = '${SITE}'`)) as {
    results?: { series?: { values?: [unknown, number][] }[] }[];
  };
  return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
}

interface Stored {
  stored: number;
  /** When the count last grew, epoch ms. */
  at: number;
  /** Readings/s between the moments the count passed 10 % and 90 % of its final value: the sustained rate. */
  steady: number;
}

/** Polls the stored count until it reaches `target` or stops growing for STALL_MS. */
async function waitStored(count: () => Promise<number>, target: () => number | undefined, since: number, pollMs: number): Promise<Stored> {
  const samples: { t: number; n: number }[] = [];
  let stored = 0;
  let at = since;
  while (Date.now() - since < MAX_RUN_MS) {
    const now = await count();
    if (now !== stored) {
      stored = now;
      at = Date.now();
      samples.push({ t: at, n: now });
    }
    const goal = target();
    if (goal !== undefined && stored >= goal) break;
    if (goal !== undefined && Date.now() - at > STALL_MS) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const first = samples.find((x) => x.n >= 0.1 * stored);
  const last = samples.find((x) => x.n >= 0.9 * stored);
  const steady = first && last && last.t > first.t ? ((last.n - first.n) * 1000) / (last.t - first.t) : 0;
  return { stored, at, steady };
}

// ─── the two systems ───

async function runOurs(influx: ManagedInfluxd, t0: number): Promise<RunResult> {
  const database = 'bench_ours';
  await influxql(influx.url, `DROP DATABASE "${database}"`);
  const store = createInfluxStore({ url: influx.url, database });
  await store.init();
  const deadLetters = openSqliteDeadLetterStore({ path: ':memory:' });
  return withBroker(async (url) => {
    // The rules engine on the ingest path, with the default rule set (QCVN, AQI, silence…), as `ioc up` runs it.
    const rulesDir = await mkdtemp(path.join(tmpdir(), 'ioc-bench-rules-'));
    const registry = Registry.open(path.join(rulesDir, 'registry.db'));
    const hub = new AlertHub(new AlertStore(path.join(rulesDir, 'alerts.db')));
    const rules = AlertService.start({ hub, registry, log: pino({ level: 'warn' }) });
    const ingest = await startIngest({
      mqttUrl: url, username: 'svc-ours', password: 'x', store, deadLetters, log: pino({ level: 'warn' }),
      observer: { readings: (site, gateway, readings) => rules.onReadings(site, gateway, readings), state: (site, gateway, state) => rules.onState(site, gateway, state) },
    });
    const influxCpu = await cpuSeconds(influx.pid);
    const elu = performance.eventLoopUtilization();
    const started = Date.now();
    let sent: number | undefined;
    const publishing = publish(url, t0).then((r) => {
      sent = r.sent;
      return r;
    });
    // ingest counts what it wrote; InfluxDB's own count is taken once at the end.
    const done = await waitStored(() => Promise.resolve(ingest.stats().readings), () => sent, started, 10);
    const { ms } = await publishing;
    const busy = performance.eventLoopUtilization(elu);
    const influxUsed = (await cpuSeconds(influx.pid)) - influxCpu;
    const stored = await storedCount(influx.url, database, 'raw');
    const s = ingest.stats();
    const p = ingest.pipeline();
    await ingest.close();
    const ruleStats = rules.stats();
    rules.close();
    hub.store.close();
    registry.close();
    await rm(rulesDir, { recursive: true, force: true });
    await deadLetters.close();
    await store.close();
    return {
      system: 'IOC ingest (ack after write, batched, gzip, rules on)',
      sent: sent ?? 0,
      stored,
      publishMs: ms,
      storeMs: done.at - started,
      steady: done.steady,
      notes: [
        `ours: ${p.batches} writes, ${s.storeRetries} retried, ${s.rejected} dead letters, ${s.messages} messages received; ` +
          `ingest thread busy ${(100 * busy.utilization).toFixed(0)} % (${((1000 * busy.active) / Math.max(stored, 1)).toFixed(1)} µs per reading); ` +
          `influxd used ${influxUsed.toFixed(1)} CPU-s; rules engine: ${ruleStats.readings.toLocaleString('en-US')} readings evaluated against ${rules.rules().length} default rules`,
      ],
    };
  });
}

const NODE_RED_FLOW = (mqttPort: number, influxPort: number, database: string) => [
  { id: 'tab', type: 'tab', label: 'ingest' },
  {
    id: 'broker', type: 'mqtt-broker', name: 'ioc', broker: '127.0.0.1', port: String(mqttPort), clientid: 'svc-nodered',
    autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true,
  },
  { id: 'influx', type: 'influxdb', hostname: '127.0.0.1', port: String(influxPort), protocol: 'http', database, name: 'ioc', usetls: false, influxdbVersion: '1.x' },
  { id: 'in', type: 'mqtt in', z: 'tab', name: '', topic: 'ioc/v1/+/+/telemetry', qos: '1', datatype: 'json', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['map']] },
  {
    id: 'map', type: 'function', z: 'tab', name: 'to points', outputs: 1, wires: [['out']],
    func: [
      "const [, , site, gateway] = msg.topic.split('/');",
      'msg.payload = msg.payload.readings.map((r) => ({',
      "  measurement: 'telemetry',",
      '  tags: { site, gateway, sensor: r.sensor, metric: r.metric },',
      "  fields: { value: r.value, q: r.quality === 'bad' ? 2 : r.quality === 'uncertain' ? 1 : 0 },",
      '  timestamp: new Date(r.ts),',
      '}));',
      'return msg;',
    ].join('\n'),
  },
  { id: 'out', type: 'influxdb batch', z: 'tab', influxdb: 'influx', precision: 'ms', retentionPolicy: '', name: '', wires: [] },
];

async function startNodeRed(dir: string, mqttPort: number, influxPort: number, database: string): Promise<ChildProcess> {
  const require = createRequire(import.meta.url);
  const redJs = require.resolve('node-red/red.js');
  const contrib = path.dirname(require.resolve('node-red-contrib-influxdb/package.json'));
  await mkdir(path.join(dir, 'node_modules'), { recursive: true });
  await symlink(contrib, path.join(dir, 'node_modules', 'node-red-contrib-influxdb'));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-flows', dependencies: { 'node-red-contrib-influxdb': '*' } }));
  await writeFile(path.join(dir, 'flows.json'), JSON.stringify(NODE_RED_FLOW(mqttPort, influxPort, database)));
  await writeFile(path.join(dir, 'flows_cred.json'), JSON.stringify({ broker: { user: 'svc-nodered', password: 'x' } }));
  await writeFile(
    path.join(dir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false, disableEditor: true,
  httpNodeRoot: false, externalModules: { autoInstall: false }, logging: { console: { level: 'warn', metrics: false, audit: false } } };\n`,
  );
  const port = await findFreePort();
  return spawn(process.execPath, [redJs, '-u', dir, '-s', path.join(dir, 'settings.js'), '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function runNodeRed(influx: ManagedInfluxd, t0: number, dir: string): Promise<RunResult> {
  const database = 'bench_nodered';
  await influxql(influx.url, `DROP DATABASE "${database}"`);
  await influxql(influx.url, `CREATE DATABASE "${database}"`);
  return withBroker(async (url) => {
    const red = await startNodeRed(dir, Number(new URL(url).port), influx.httpPort, database);
    let stderr = '';
    red.stderr?.on('data', (c: Buffer) => void (stderr = (stderr + c.toString()).slice(-2000)));
    try {
      await waitForSubscriber(url, () => storedCount(influx.url, database, 'autogen'));
      await influxql(influx.url, `DELETE FROM "telemetry"`, database); // the probe readings
      const [redCpu, influxCpu] = [await cpuSeconds(red.pid), await cpuSeconds(influx.pid)];
      const started = Date.now();
      let sent: number | undefined;
      const publishing = publish(url, t0).then((r) => ((sent = r.sent), r));
      const done = await waitStored(() => storedCount(influx.url, database, 'autogen'), () => sent, started, 100);
      const { ms } = await publishing;
      const [redUsed, influxUsed] = [(await cpuSeconds(red.pid)) - redCpu, (await cpuSeconds(influx.pid)) - influxCpu];
      return {
        system: 'Node-RED 4.1 (mqtt in → function → influxdb batch)',
        sent: sent ?? 0,
        stored: done.stored,
        publishMs: ms,
        storeMs: done.at - started,
        steady: done.steady,
        notes: [
          `Node-RED: process used ${redUsed.toFixed(1)} CPU-s (${((1e6 * redUsed) / Math.max(done.stored, 1)).toFixed(1)} µs per reading stored); influxd used ${influxUsed.toFixed(1)} CPU-s`,
          ...(stderr.includes('rror') ? [`Node-RED stderr (last lines): ${stderr.trim().split('\n').slice(-2).join(' | ')}`] : []),
        ],
      };
    } finally {
      const exited = new Promise((resolve) => red.once('exit', resolve));
      red.kill('SIGTERM');
      await exited;
    }
  });
}

/** Publishes single probe messages until the subscriber under test has stored one (it is connected and subscribed). */
async function waitForSubscriber(url: string, count: () => Promise<number>): Promise<void> {
  const probe = await mqtt.connectAsync(url, { clientId: 'gw-probe', username: 'gw-probe', password: 'x', protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const deadline = Date.now() + 60_000;
    for (let seq = 0; (await count()) === 0; seq++) {
      if (Date.now() > deadline) throw new Error('Node-RED did not store a probe reading within 60 s');
      const readings = [{ sensor: 'probe', metric: 'pm25', ts: Date.now() - 60_000, value: 1 }];
      await probe.publishAsync(`ioc/v1/${SITE}/gw-probe/telemetry`, JSON.stringify({ seq, readings }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await probe.endAsync();
  }
}

function row(r: RunResult): (string | number)[] {
  const lost = r.sent - r.stored;
  return [
    r.system,
    r.sent,
    r.stored,
    lost === 0 ? '0' : `${lost.toLocaleString('en-US')} (${((100 * lost) / r.sent).toFixed(1)} %)`,
    Math.round(r.sent / (r.publishMs / 1000)),
    Math.round(r.stored / (r.storeMs / 1000)),
    Math.round(r.steady),
  ];
}

export const ingestBench: Bench = {
  name: 'ingest',
  description: `end-to-end readings/s, MQTT publish (QoS 1, ${PER_MESSAGE} readings/message) → InfluxDB, stored vs sent`,
  async run(): Promise<BenchTable[]> {
    const dir = await mkdtemp(path.join(tmpdir(), 'ioc-bench-ingest-'));
    const influx = await startInfluxd({ dataDir: path.join(dir, 'influx') });
    try {
      // Recent, so every retention policy keeps the readings; unique per (gateway, message, sensor).
      const t0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
      const ours = await runOurs(influx, t0);
      const red = await runNodeRed(influx, t0, path.join(dir, 'node-red'));
      return [
        {
          title: `Ingest: ${READINGS.toLocaleString('en-US')} readings, ${GATEWAYS} gateways × ${IN_FLIGHT} messages in flight, loopback, InfluxDB 1.6.7`,
          columns: ['system', 'sent (PUBACKed)', 'stored', 'lost', 'published/s', 'stored/s end to end', 'stored/s 10→90 %'],
          rows: [row(ours), row(red)],
          notes: [
            'stored/s end to end: readings stored ÷ time from the first publish until the stored count reached its final value',
            '(ours includes the last batch waiting its 1 s linger); 10→90 %: the rate while the count went from 10 % to 90 % of it.',
            `Load average when done: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores (other processes share them).`,
            'Target for ours: ≥ 100,000 readings/s with nothing lost.',
            ...ours.notes,
            ...red.notes,
          ],
        },
      ];
    } finally {
      await influx.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
