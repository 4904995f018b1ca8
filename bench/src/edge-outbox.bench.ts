/**
 * Edge store and forward: (1) outbox append rate, (2) replay of a backlog through the real uplink to a real broker
 * while live readings keep flowing — the disk outbox (SQLite WAL) beside the in-memory one, the peer that survives
 * nothing — and (3) that replay again in a process with the V8 flags of the gateway launcher `ioc-edge`.
 *
 * The broker (@ioc/broker, limits lifted) and the subscriber that counts what arrives run in a worker thread, so they
 * do not share the event loop of the uplink under test. The agent's RSS is bench edge-rss.
 * `npx tsc -b bench && node bench/dist/run.js edge-outbox` (IOC_BENCH_REPLAY_READINGS: backlog size, default 200,000).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import pino from 'pino';
import { startBroker, type CredentialVerifier } from '@ioc/broker';
import { MemoryOutbox, SqliteOutbox, startUplink, type Outbox } from '@ioc/edge';
import type { Reading } from '@ioc/protocol';
import { launcherFlags } from './edge-rss.bench.js';
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

// ─── (3) replay under the gateway launcher's V8 flags ───

/** The replay in a child process started with the V8 flags of `ioc-edge` (its broker thread has them too). */
function replayWithLauncherFlags(kind: Kind, batch: number, dir: string): Promise<ReplayResult> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: launcherFlags(), env: { ...process.env, IOC_BENCH_REPLAY_CHILD: JSON.stringify({ kind, batch, dir }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as ReplayResult));
    child.once('exit', (code) => reject(new Error(`replay child exited with ${code}`)));
  });
}

async function replayChild(spec: { kind: Kind; batch: number; dir: string }): Promise<void> {
  const broker = await startBrokerThread();
  const result = await replay(spec.kind, spec.batch, spec.dir, broker);
  await broker.stop();
  process.send?.(result, () => process.exit(0));
}

if (isMainThread && process.env.IOC_BENCH_REPLAY_CHILD) void replayChild(JSON.parse(process.env.IOC_BENCH_REPLAY_CHILD) as { kind: Kind; batch: number; dir: string });

export const edgeOutboxBench: Bench = {
  name: 'edge-outbox',
  description: 'edge store and forward: outbox append and replay rates (SQLite WAL vs in memory), and the same replay under the gateway launcher\'s V8 flags',
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
      const launcher = await replayWithLauncherFlags('disk, sync full', 500, dir);
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
          rows: [...replays.map((r) => [r.kind, r.batch, r.replayRate, r.live, r.p99, r.max]), [`${launcher.kind}, ioc-edge V8 flags`, launcher.batch, launcher.replayRate, launcher.live, launcher.p99, launcher.max]],
          notes: [
            'Target: replay ≥ 50,000 readings/s while live readings keep flowing. Live delay: arrival at the subscriber − time of measurement (includes the 50 ms linger).',
            'Broker and counting subscriber in a worker thread; the uplink and outbox in the main thread, as in the agent.',
            `"ioc-edge V8 flags": the same run in a process started with ${launcherFlags().join(' ')}, as the gateway launcher starts the agent (its broker thread runs with them too). Agent RSS: bench edge-rss.`,
          ],
        },
      ];
    } finally {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
