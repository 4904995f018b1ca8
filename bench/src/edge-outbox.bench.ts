/**
 * Edge store and forward: (1) outbox append rate, (2) replay of a backlog through the real uplink to a real broker
 * while live readings keep flowing, (3) RSS of the agent process with its drivers running — the disk outbox
 * (SQLite WAL) beside the in-memory one, the peer that survives nothing.
 *
 * The broker (@ioc/broker, limits lifted) and the subscriber that counts what arrives run in a worker thread, so they
 * do not share the event loop of the uplink under test. The agent for RSS runs in its own process.
 * `npx tsc -b bench && node bench/dist/run.js edge-outbox` (IOC_BENCH_REPLAY_READINGS: backlog size, default 200,000).
 */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import pino from 'pino';
import { startBroker, type CredentialVerifier } from '@ioc/broker';
import { drivers, MemoryOutbox, SqliteOutbox, startUplink, type Outbox } from '@ioc/edge';
import type { Reading } from '@ioc/protocol';
import { openPtyPair } from '@ioc/simulators';
import type { Bench, BenchTable } from './table.js';

const BACKLOG = Number(process.env.IOC_BENCH_REPLAY_READINGS ?? 200_000);
/** Live load during the replay: 9 readings (one PMS5003 frame) every 10 ms = 900 readings/s, ~100 sensors. */
const LIVE_EVERY_MS = 10;
const LIVE_PER_TICK = 9;
const T0 = Date.UTC(2025, 10, 25, 0, 0, 0);
const log = pino({ level: 'silent' });

// ─── the worker thread: broker + counting subscriber ───

interface Counts {
  historical: number;
  live: number;
  liveDelaysMs: number[];
}

async function brokerThread(): Promise<void> {
  const verifier: CredentialVerifier = {
    verify: (username) =>
      Promise.resolve(
        username === 'svc-count'
          ? { ok: true, principal: { kind: 'service', name: username, role: 'ingest' } }
          : { ok: true, principal: { kind: 'gateway', site: 'bench', gateway: username } },
      ),
  };
  const broker = await startBroker({ port: 0, credentials: verifier, log, limits: { publishRatePerSec: 1e9, publishBurst: 1e9, maxInflight: 10_000, queueLimit: 1_000_000 } });
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'svc-count', username: 'svc-count', password: 'x', reconnectPeriod: 0 });
  const counts: Counts = { historical: 0, live: 0, liveDelaysMs: [] };
  sub.on('message', (_topic, payload) => {
    const batch = JSON.parse(payload.toString()) as { historical?: boolean; readings: { ts: number }[] };
    if (batch.historical) {
      counts.historical += batch.readings.length;
      return;
    }
    counts.live += batch.readings.length;
    const now = Date.now();
    for (const r of batch.readings) if (r.ts > T0) counts.liveDelaysMs.push(now - r.ts);
  });
  await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
  parentPort?.postMessage({ url: broker.url });
  parentPort?.on('message', (cmd: string) => {
    if (cmd === 'report') parentPort?.postMessage(counts);
    if (cmd === 'reset') Object.assign(counts, { historical: 0, live: 0, liveDelaysMs: [] });
    if (cmd === 'stop') void sub.endAsync(true).then(() => broker.close()).then(() => process.exit(0));
  });
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === 'edge-outbox-broker') void brokerThread();

interface BrokerThread {
  url: string;
  report(): Promise<Counts>;
  reset(): void;
  stop(): Promise<void>;
}

async function startBrokerThread(): Promise<BrokerThread> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'edge-outbox-broker' } });
  const { url } = await new Promise<{ url: string }>((resolve) => worker.once('message', resolve));
  return {
    url,
    report: () => new Promise((resolve) => (worker.once('message', resolve), worker.postMessage('report'))),
    reset: () => worker.postMessage('reset'),
    stop: () => new Promise((resolve) => (worker.once('exit', () => resolve()), worker.postMessage('stop'))),
  };
}

// ─── helpers ───

const reading = (i: number): Reading => ({ sensor: `pm-${(i % 100).toString().padStart(2, '0')}`, metric: i % 3 === 0 ? 'pm1' : i % 3 === 1 ? 'pm25' : 'pm10', ts: T0 + i, value: i % 997, quality: 'good' });
const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Kind = 'disk, sync full' | 'disk, sync normal' | 'memory (peer)';

function makeOutbox(kind: Kind, dir: string): Outbox {
  const limits = { maxReadings: 50_000_000, maxBytes: 2 ** 40 };
  if (kind === 'memory (peer)') return new MemoryOutbox(limits);
  return new SqliteOutbox({ file: path.join(mkdtempSync(path.join(dir, 'box-')), 'outbox.db'), sync: kind === 'disk, sync full' ? 'full' : 'normal', ...limits });
}

// ─── (1) append ───

function appendRate(kind: Kind, dir: string, perAppend: number): { rate: number; appends: number } {
  const box = makeOutbox(kind, dir);
  const batch = Array.from({ length: perAppend }, (_, i) => reading(i));
  let appends = 0;
  const started = performance.now();
  while (performance.now() - started < 1500) {
    box.append(batch);
    appends += 1;
  }
  const ms = performance.now() - started;
  box.close();
  return { rate: perSecond(appends * perAppend, ms), appends: Math.round((appends / ms) * 1000) };
}

// ─── (2) replay ───

interface ReplayResult {
  kind: Kind;
  batch: number;
  replayRate: number;
  live: number;
  p99: number;
  max: number;
}

async function replay(kind: Kind, batch: number, dir: string, broker: BrokerThread): Promise<ReplayResult> {
  const box = makeOutbox(kind, dir);
  for (let i = 0; i < BACKLOG; i += 1000) box.append(Array.from({ length: Math.min(1000, BACKLOG - i) }, (_, j) => reading(i + j)));
  broker.reset();
  const started = performance.now();
  const uplink = startUplink({
    endpoint: { url: broker.url, username: 'gw-bench', password: 'x' },
    site: 'bench',
    gateway: 'gw-bench',
    outbox: box,
    log,
    batching: { maxBatchReadings: batch, lingerMs: 50 },
    keepaliveSec: 30,
    connectTimeoutMs: 10_000,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    birth: () => ({ agent: { version: 'bench' } }),
  });
  const live = setInterval(() => {
    const now = Date.now();
    box.append(Array.from({ length: LIVE_PER_TICK }, (_, i): Reading => ({ sensor: `live-${i}`, metric: 'pm25', ts: now, value: i, quality: 'good' })));
  }, LIVE_EVERY_MS);
  let counts = await broker.report();
  while (counts.historical < BACKLOG) {
    await sleep(20);
    counts = await broker.report();
  }
  const ms = performance.now() - started;
  clearInterval(live);
  await uplink.stop(2000);
  box.close();
  const delays = [...counts.liveDelaysMs].sort((a, b) => a - b);
  return {
    kind,
    batch,
    replayRate: perSecond(BACKLOG, ms),
    live: counts.live,
    p99: delays[Math.floor(delays.length * 0.99)] ?? Number.NaN,
    max: delays[delays.length - 1] ?? Number.NaN,
  };
}

// ─── (3) RSS ───

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../edge/dist/testing/agent-process.js');
const IOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/bin/ioc.js');

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) * 1024;
}

/** Runs a process for `ms` while `feed` runs every second; returns its RSS at the end (MB). */
async function measureRss(args: string[], ms: number, feed: () => void = () => undefined): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const timer = setInterval(feed, 1000);
  await sleep(ms);
  clearInterval(timer);
  const rss = child.pid !== undefined && child.exitCode === null ? rssOf(child.pid) : Number.NaN;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return Math.round((rss / 2 ** 20) * 10) / 10;
}

/** A PMS5003 frame (pm2.5 = k). */
function pmsFrame(k: number): Buffer {
  const f = Buffer.alloc(32);
  f.writeUInt16BE(0x424d, 0);
  f.writeUInt16BE(28, 2);
  f.writeUInt16BE(k % 500, 12);
  let sum = 0;
  for (let i = 0; i < 30; i++) sum += f[i] ?? 0;
  f.writeUInt16BE(sum & 0xffff, 30);
  return f;
}

async function rssTable(dir: string, brokerUrl: string): Promise<BenchTable> {
  const ptys = await Promise.all([0, 1, 2].map(() => openPtyPair(mkdtempSync(path.join(dir, 'pty-')))));
  const [pms, sds, rs485] = ptys as [(typeof ptys)[0], (typeof ptys)[0], (typeof ptys)[0]];
  const all: Record<string, unknown> = {
    pms5003: { driver: 'pms5003', id: 'pms-1', port: pms.hostPath, sensor: 'pm-01' },
    sds011: { driver: 'sds011', id: 'sds-1', port: sds.hostPath, sensor: 'pm-02' },
    'modbus-rtu': { driver: 'modbus-rtu', id: 'rs485-1', port: rs485.hostPath, intervalMs: 1000, timeoutMs: 200, devices: [{ unitId: 1, sensor: 'wx-01', registers: [{ metric: 'temperature', function: 4, address: 0, type: 'int16', scale: 0.1 }] }] },
    opcua: { driver: 'opcua', id: 'station-1', endpoint: 'opc.tcp://127.0.0.1:1/UA', securityMode: 'None', nodes: [{ nodeId: 'ns=1;s=PM25', sensor: 'st-01', metric: 'pm25' }] },
    camera: { driver: 'camera', id: 'cams', cameras: [{ id: 'cam-01', probe: 'tcp', host: '127.0.0.1', port: 1 }] },
  };
  const present = Object.keys(all).filter((d) => d in drivers);
  let n = 0;
  const config = (inputs: string[]): string => {
    const file = path.join(dir, `agent-${n}.json`);
    writeFileSync(file, JSON.stringify({ gateway: { site: 'bench', id: `gw-rss-${n++}` }, dataDir: mkdtempSync(path.join(dir, 'data-')), mqtt: { url: brokerUrl, password: 'x' }, http: { port: 0 }, inputs: inputs.map((d) => all[d]) }));
    return file;
  };
  const fd = openSync(pms.devicePath, 'w');
  let k = 0;
  const feed = (): void => void writeSync(fd, pmsFrame(k++));
  try {
    const idle = await measureRss(['-e', 'setInterval(() => {}, 1000)'], 3000);
    const one = await measureRss([AGENT, config(['pms5003'])], 8000, feed);
    const every = await measureRss([AGENT, config(present)], 8000, feed);
    const cli = await measureRss([IOC, 'edge', 'run', '--config', config(present)], 8000, feed);
    return {
      title: 'Agent RSS (MB) after 8 s, readings flowing (one PMS5003 frame a second), disk outbox, connected to the broker',
      columns: ['process', 'RSS MB'],
      rows: [
        ['node, an idle timer (floor)', idle],
        ['agent: pms5003', one],
        [`agent: ${present.join(', ')}`, every],
        [`ioc edge run (the CLI: loads only the edge's modules): ${present.join(', ')}`, cli],
      ],
      notes: [
        'Target: < 60 MB with all five drivers. VmRSS from /proc/<pid>/status. "agent" = edge/dist/testing/agent-process.js: the agent alone, composed as `ioc edge run` composes it.', ...(present.length < 5 ? [`Drivers not in the registry yet: ${Object.keys(all).filter((d) => !present.includes(d)).join(', ')}`] : [])],
    };
  } finally {
    closeSync(fd);
    await Promise.all(ptys.map((p) => p.close()));
  }
}

export const edgeOutboxBench: Bench = {
  name: 'edge-outbox',
  description: 'edge store and forward: outbox append and replay rates (SQLite WAL vs in memory), agent RSS with its drivers',
  async run(): Promise<BenchTable[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioc-bench-edge-'));
    const broker = await startBrokerThread();
    try {
      const kinds: Kind[] = ['disk, sync full', 'disk, sync normal', 'memory (peer)'];
      const appendRows = kinds.flatMap((kind) =>
        [9, 500].map((per) => {
          const r = appendRate(kind, dir, per);
          return [kind, per, r.appends, r.rate];
        }),
      );
      const replays: ReplayResult[] = [];
      for (const [kind, batch] of [['disk, sync full', 500], ['disk, sync full', 2000], ['memory (peer)', 500], ['memory (peer)', 2000]] as const) {
        replays.push(await replay(kind, batch, dir, broker));
      }
      return [
        {
          title: 'Outbox append: readings/s, one append per sensor frame (9 readings) or per 500',
          columns: ['outbox', 'readings per append', 'appends/s', 'readings/s'],
          rows: appendRows,
          notes: ['"full" fsyncs the WAL at every append (durable against a power cut); "normal" leaves it to the OS (durable against kill -9).'],
        },
        {
          title: `Replay: ${BACKLOG.toLocaleString('en-US')} readings of backlog through the uplink (QoS 1, PUBACK before removal) while ${(LIVE_PER_TICK * 1000) / LIVE_EVERY_MS} live readings/s flow`,
          columns: ['outbox', 'batch', 'replay readings/s', 'live readings delivered', 'live delay p99 ms', 'live delay max ms'],
          rows: replays.map((r) => [r.kind, r.batch, r.replayRate, r.live, r.p99, r.max]),
          notes: [
            'Target: replay ≥ 50,000 readings/s while live readings keep flowing. Live delay: arrival at the subscriber − time of measurement (includes the 50 ms linger).',
            'Broker and counting subscriber in a worker thread; the uplink and outbox in the main thread, as in the agent.',
          ],
        },
        await rssTable(dir, broker.url),
      ];
    } finally {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
