/**
 * MQTT broker: messages/s at QoS 0 and QoS 1 (one publisher, and 1,000 publishers, into one
 * subscriber) and RSS per idle authenticated connection — our broker (authentication, topic rules
 * and limits on) beside Mosquitto 2.0 (`set_tcp_nodelay true`), bare Aedes 1.2 (no hooks) and a minimal Node relay (the floor), each
 * in a process of its own, measured in the same run with the same mqtt.js clients.
 *
 * `npx tsc -b bench && node bench/dist/run.js broker` (≈ 7 min). Bounded: fixed message counts, a
 * bounded wait for the last message (what is missing is reported as lost), loopback only.
 * Knobs: IOC_BENCH_BROKER_IDLE (idle connections, 10,000), IOC_BENCH_BROKER_ROUNDS (3),
 * IOC_BENCH_BROKER_SYSTEMS, IOC_BENCH_BROKER_PARTS (throughput,mqttjs,idle), IOC_BENCH_BROKER_ONLY (workload
 * name filter), IOC_BENCH_BROKER_NODE_FLAGS (V8 flags for both Node brokers, e.g. --cpu-prof).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import pino from 'pino';
import { startBroker, type CredentialVerifier } from '@ioc/broker';
import { scanFrames } from './mqtt-frames.js';
import { startRelayFloor } from './relay-floor.js';
import type { Bench, BenchTable } from './table.js';

const SITE = 'bench';
/** A telemetry batch of the size DEPENDENCIES.md measured with: 222 bytes of JSON. */
const PAYLOAD = Buffer.from(JSON.stringify({ seq: 1, readings: [{ sensor: 'pm-01', metric: 'pm25', ts: 1764064800000, value: 42.1 }, { sensor: 'pm-01', metric: 'pm10', ts: 1764064800000, value: 61 }] }).padEnd(222, ' '));
const IDLE = Number(process.env.IOC_BENCH_BROKER_IDLE ?? 10_000);
/** How long idle connections are left alone before the second RSS reading (V8 returns garbage pages lazily). */
const SETTLE_MS = 40_000;
const LAST_MESSAGE_WAIT_MS = 30_000;
/** Throughput runs per workload and system; the median is reported. */
const ROUNDS = Number(process.env.IOC_BENCH_BROKER_ROUNDS ?? 3);

type SystemName = 'Mosquitto 2.0' | 'ours' | 'bare Aedes' | 'Node floor';
const ALL_SYSTEMS: SystemName[] = ['Mosquitto 2.0', 'ours', 'bare Aedes', 'Node floor'];
/** IOC_BENCH_BROKER_SYSTEMS=ours,Mosquitto 2.0 and IOC_BENCH_BROKER_PARTS=throughput,mqttjs,idle narrow a run. */
const SYSTEMS = ALL_SYSTEMS.filter((s) => (process.env.IOC_BENCH_BROKER_SYSTEMS ?? s).split(',').includes(s));
const PARTS = (process.env.IOC_BENCH_BROKER_PARTS ?? 'throughput,mqttjs,idle').split(',');
/** V8 flags for the Node brokers' processes (both alike), e.g. IOC_BENCH_BROKER_NODE_FLAGS=--no-concurrent-marking. */
const NODE_FLAGS = (process.env.IOC_BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);

interface Workload {
  name: string;
  publishers: number;
  qos: 0 | 1;
  messages: number;
  /** Publishes awaited together per publisher (DEPENDENCIES.md: await publishes in batches). */
  batch: number;
  /** The subscriber keeps a persistent session (clean = false), as the cloud's ingest does: every QoS 1 message is queued for it until acknowledged. */
  persistent?: boolean;
}

/** IOC_BENCH_BROKER_ONLY=… keeps the workloads whose name contains it. */
const only = (w: Workload): boolean => w.name.includes(process.env.IOC_BENCH_BROKER_ONLY ?? '');

/** The mqtt.js runs: one publisher only (a thousand mqtt.js clients in one process measure mqtt.js). */
const MQTTJS_WORKLOADS = ([
  { name: 'QoS 0, 1 publisher → 1 subscriber', publishers: 1, qos: 0, messages: 100_000, batch: 500 },
  { name: 'QoS 1, 1 publisher → 1 subscriber', publishers: 1, qos: 1, messages: 100_000, batch: 500 },
] satisfies Workload[]).filter(only);

const WORKLOADS = ([
  { name: 'QoS 0, 1 publisher → 1 subscriber', publishers: 1, qos: 0, messages: 200_000, batch: 500 },
  { name: 'QoS 1, 1 publisher → 1 subscriber', publishers: 1, qos: 1, messages: 100_000, batch: 500 },
  { name: 'QoS 0, 1,000 publishers → 1 subscriber', publishers: 1000, qos: 0, messages: 100_000, batch: 10 },
  { name: 'QoS 1, 1,000 publishers → 1 subscriber', publishers: 1000, qos: 1, messages: 100_000, batch: 10 },
  { name: 'QoS 1, 1,000 publishers → 1 persistent subscriber (as the ingest)', publishers: 1000, qos: 1, messages: 100_000, batch: 10, persistent: true },
] satisfies Workload[]).filter(only);

// ─── the broker processes ───────────────────────────────────────────────────────────────────────

const secretOf = (username: string): Buffer => Buffer.from(`secret-${username}`);

/** Gateways `gw-N` on site `bench`, and `svc-ingest` (`svc-ingest-N`: persistent sessions); each with its own secret, compared in constant time. */
const benchVerifier: CredentialVerifier = {
  async verify(username, password) {
    const expected = secretOf(username);
    if (password.length !== expected.length || !timingSafeEqual(password, expected)) return { ok: false, reason: 'bad_secret' };
    if (/^svc-ingest(-\d+)?$/.test(username)) return { ok: true, principal: { kind: 'service', name: username, role: 'ingest' } };
    if (/^gw-\d+$/.test(username)) return { ok: true, principal: { kind: 'gateway', site: SITE, gateway: username } };
    return { ok: false, reason: 'unknown' };
  },
  isRevoked: async () => false,
};

/** Runs in the forked child: one broker, its port sent to the parent. */
async function brokerNode(kind: string): Promise<void> {
  let port: number;
  if (kind === 'floor') {
    port = await startRelayFloor();
  } else if (kind === 'ours') {
    const broker = await startBroker({
      port: 0,
      credentials: benchVerifier,
      log: pino({ level: 'silent' }),
      // every limit is checked; none binds at these rates (one publisher stands for a thousand gateways)
      limits: { publishRatePerSec: 1e6, publishBurst: 1e6, maxInflight: 1000, connectRatePerSec: 1e6, connectBurst: 1e6, queueLimit: 100_000 },
    });
    port = broker.port;
  } else {
    const aedes = await Aedes.createBroker();
    const server = net.createServer({ noDelay: true }, (socket) => aedes.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }
  process.send?.({ port });
  process.once('SIGTERM', () => process.exit(0)); // an orderly exit (writes --cpu-prof profiles)
}

interface Peer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

async function startNode(kind: 'ours' | 'aedes' | 'floor'): Promise<Peer> {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, IOC_BROKER_BENCH_NODE: kind }, execArgv: NODE_FLAGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`${kind} broker exited with ${code}`)));
  });
  return { port, pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited(child)) };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function startMosquitto(): Promise<Peer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ioc-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // max_queued_messages 0 (no limit): by default Mosquitto silently drops QoS 1 messages past 1,000
  // queued for a subscriber, which would make it look faster than a broker that delivers them all.
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'set_tcp_nodelay true', 'max_queued_messages 0', 'log_type none', ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const start = (system: SystemName): Promise<Peer> => (system === 'Mosquitto 2.0' ? startMosquitto() : startNode(system === 'ours' ? 'ours' : system === 'Node floor' ? 'floor' : 'aedes'));

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

// ─── the clients: minimal MQTT 3.1.1 over raw sockets ───────────────────────────────────────────
// mqtt.js spends more CPU per message than the brokers under test (and shares two cores with them);
// these clients pre-encode their packets and parse only the fixed header, so the broker is measured.

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** One PUBLISH with its packet id at `idOffset` (QoS 1) to patch per message. */
function publishTemplate(topic: string, qos: 0 | 1): { bytes: Buffer; idOffset: number } {
  const t = Buffer.from(topic);
  const remaining = 2 + t.length + (qos ? 2 : 0) + PAYLOAD.length;
  const head = Buffer.from([qos ? 0x32 : 0x30, ...varint(remaining), t.length >> 8, t.length & 0xff]);
  const bytes = Buffer.concat([head, t, Buffer.alloc(qos ? 2 : 0), PAYLOAD]);
  return { bytes, idOffset: head.length + t.length };
}

class RawClient {
  private pending: Buffer = Buffer.alloc(0);
  private waiters: { type: number; count: number; resolve: () => void }[] = [];
  private nextId = 1;
  /** PUBLISH packets received (subscriber side). */
  received = 0;
  onPublish: (() => void) | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
  }

  static async connect(port: number, username: string, clean = true): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    const c = new RawClient(socket);
    const acked = c.await(0x20, 1);
    socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, keepalive: 60, clientId: username, username, password: secretOf(username) }));
    await acked;
    return c;
  }

  /** Resolves once `count` packets of fixed-header type `type` (0x20 CONNACK, 0x40 PUBACK, 0x90 SUBACK) arrived. */
  private await(type: number, count: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ type, count, resolve }));
  }

  async subscribe(filter: string): Promise<void> {
    const acked = this.await(0x90, 1);
    this.socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] }));
    await acked;
  }

  /** Writes `n` PUBLISHes at once; QoS 1 resolves when all n are acknowledged, QoS 0 when written. */
  async publishBatch(template: { bytes: Buffer; idOffset: number }, qos: 0 | 1, n: number): Promise<void> {
    const size = template.bytes.length;
    const batch = Buffer.allocUnsafe(size * n);
    for (let i = 0; i < n; i++) {
      template.bytes.copy(batch, i * size);
      if (qos) {
        batch.writeUInt16BE(this.nextId, i * size + template.idOffset);
        this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
      }
    }
    const acked = qos ? this.await(0x40, n) : undefined;
    if (!this.socket.write(batch)) await new Promise((resolve) => this.socket.once('drain', resolve));
    await acked;
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const acks: number[] = [];
    const pos = scanFrames(buf, (first, body) => {
      if ((first & 0xf0) === 0x30) {
        this.received += 1;
        if (first & 0x06) acks.push(buf.readUInt16BE(body + 2 + buf.readUInt16BE(body)));
        this.onPublish?.();
      } else {
        this.count(first & 0xf0);
      }
    });
    this.pending = buf.subarray(pos);
    if (acks.length) {
      const out = Buffer.allocUnsafe(acks.length * 4);
      acks.forEach((id, k) => out.writeUInt32BE(0x40020000 | id, k * 4));
      this.socket.write(out);
    }
  }

  private count(type: number): void {
    const w = this.waiters[0];
    if (w && w.type === type && --w.count === 0) {
      this.waiters.shift();
      w.resolve();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

async function connectMany(port: number, n: number): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < n; i += 100) clients.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => RawClient.connect(port, `gw-${i + j}`)))));
  return clients;
}

interface Throughput {
  rate: number;
  lost: number;
  /** CPU time the broker process spent per message delivered (user + system), µs: its cost, whatever the clients. */
  cpuUs: number;
}

/** CPU time of a process so far (utime + stime from /proc/<pid>/stat), µs; clock ticks of 10 ms. */
async function cpuTimeUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** Persistent subscribers get a fresh client id per run, so that no run inherits another's queue. */
let sessions = 0;

async function throughput(port: number, pid: number, w: Workload): Promise<Throughput> {
  const sub = await RawClient.connect(port, w.persistent ? `svc-ingest-${(sessions += 1)}` : 'svc-ingest', !w.persistent);
  await sub.subscribe('ioc/v1/+/+/telemetry');
  const pubs = await connectMany(port, w.publishers);
  const perPublisher = Math.ceil(w.messages / w.publishers);
  const total = perPublisher * w.publishers;
  let last = performance.now();
  const all = new Promise<void>((resolve) => {
    sub.onPublish = () => {
      last = performance.now();
      if (sub.received === total) resolve();
    };
  });
  const cpu0 = await cpuTimeUs(pid);
  const t0 = performance.now();
  await Promise.all(
    pubs.map(async (pub, i) => {
      const template = publishTemplate(`ioc/v1/${SITE}/gw-${i}/telemetry`, w.qos);
      for (let sent = 0; sent < perPublisher; sent += w.batch) await pub.publishBatch(template, w.qos, Math.min(w.batch, perPublisher - sent));
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, LAST_MESSAGE_WAIT_MS)))]);
  clearTimeout(timer);
  const got = sub.received;
  const cpuUs = ((await cpuTimeUs(pid)) - cpu0) / got;
  [sub, ...pubs].forEach((c) => c.close());
  return { rate: got / ((last - t0) / 1000), lost: total - got, cpuUs };
}

/** The same workload through mqtt.js clients (DEPENDENCIES.md measured this way): the client's costs weigh in. */
async function throughputMqttJs(port: number, pid: number, w: Workload): Promise<Throughput> {
  const connect = (username: string): Promise<MqttClient> =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: username, username, password: secretOf(username).toString(), protocolVersion: 4, keepalive: 60, reconnectPeriod: 0 });
  const sub = await connect('svc-ingest');
  await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
  const pubs: MqttClient[] = [];
  for (let i = 0; i < w.publishers; i += 50) pubs.push(...(await Promise.all(Array.from({ length: Math.min(50, w.publishers - i) }, (_, j) => connect(`gw-${i + j}`)))));
  const perPublisher = Math.ceil(w.messages / w.publishers);
  const total = perPublisher * w.publishers;
  let received = 0;
  let last = performance.now();
  const all = new Promise<void>((resolve) => sub.on('message', () => ((last = performance.now()), ++received === total && resolve())));
  const cpu0 = await cpuTimeUs(pid);
  const t0 = performance.now();
  await Promise.all(
    pubs.map(async (pub, i) => {
      const topic = `ioc/v1/${SITE}/gw-${i}/telemetry`;
      for (let sent = 0; sent < perPublisher; sent += w.batch) {
        await Promise.all(Array.from({ length: Math.min(w.batch, perPublisher - sent) }, () => pub.publishAsync(topic, PAYLOAD, { qos: w.qos })));
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, LAST_MESSAGE_WAIT_MS)))]);
  clearTimeout(timer);
  const got = received;
  const cpuUs = ((await cpuTimeUs(pid)) - cpu0) / got;
  await Promise.all([sub, ...pubs].map((c) => c.endAsync(true)));
  return { rate: got / ((last - t0) / 1000), lost: total - got, cpuUs };
}

interface IdleResult {
  connected: number;
  beforeMb: number;
  afterKb: number;
  settledKb: number;
}

/** Opens `n` idle authenticated connections with raw sockets (a CONNECT each, keep-alive 60 s). */
async function idleConnections(peer: Peer, n: number): Promise<IdleResult> {
  await new Promise((r) => setTimeout(r, 1000));
  const before = await rssBytes(peer.pid);
  const sockets: net.Socket[] = [];
  let connected = 0;
  for (let i = 0; i < n; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, j) => {
        const username = `gw-${i + j}`;
        return new Promise<void>((resolve) => {
          const s = net.connect(peer.port, '127.0.0.1');
          s.on('error', () => resolve());
          s.once('data', (d) => {
            if (d[0] === 0x20 && d[3] === 0) connected += 1; // CONNACK, return code 0
            resolve();
          });
          s.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: username, username, password: secretOf(username) }));
          sockets.push(s);
        });
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = await rssBytes(peer.pid);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const settled = await rssBytes(peer.pid);
  sockets.forEach((s) => s.destroy());
  return { connected, beforeMb: before / 2 ** 20, afterKb: (after - before) / connected / 1024, settledKb: (settled - before) / connected / 1024 };
}

// ─── the benchmark ──────────────────────────────────────────────────────────────────────────────

/** The median run of each workload (by rate), so one disturbed run on a shared machine does not decide. */
function median(runs: Throughput[]): Throughput {
  return [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)]!;
}

async function run(): Promise<BenchTable[]> {
  const runs = new Map<string, Throughput[]>();
  const record = (key: string, t: Throughput): void => void runs.set(key, [...(runs.get(key) ?? []), t]);
  // Rounds interleave the systems, so a change in the machine's load falls on all of them.
  for (let round = 0; round < ROUNDS && (PARTS.includes('throughput') || PARTS.includes('mqttjs')); round++) {
    for (const system of SYSTEMS) {
      const peer = await start(system);
      try {
        for (const w of PARTS.includes('throughput') ? WORKLOADS : []) record(`${system}|${w.name}`, await throughput(peer.port, peer.pid, w));
        for (const w of PARTS.includes('mqttjs') ? MQTTJS_WORKLOADS : []) record(`${system}|mqtt.js|${w.name}`, await throughputMqttJs(peer.port, peer.pid, w));
      } finally {
        await peer.stop();
      }
    }
  }
  const rates = new Map([...runs].map(([key, list]) => [key, median(list)]));
  const idle = new Map<SystemName, IdleResult>();
  for (const system of SYSTEMS.filter((s) => s !== 'Node floor')) {
    if (PARTS.includes('idle')) {
      const peer = await start(system);
      try {
        idle.set(system, await idleConnections(peer, IDLE));
      } finally {
        await peer.stop();
      }
    }
  }

  const fmt = (t: Throughput | undefined): string => (t ? `${Math.round(t.rate).toLocaleString('en-US')}${t.lost ? ` (${t.lost} lost)` : ''}` : '–');
  const ratio = (a: Throughput | undefined, b: Throughput | undefined): string => (a && b ? `${(a.rate / b.rate).toFixed(2)}×` : '–');
  const throughputTable: BenchTable = {
    title: `Messages/s through the broker (222-byte payload; publishes awaited in batches; median of ${ROUNDS} runs)`,
    columns: ['workload', 'Mosquitto 2.0', 'ours', 'bare Aedes', 'Node floor', 'ours / Mosquitto', 'ours / bare Aedes'],
    rows: WORKLOADS.map((w) => {
      const [m, o, a, f] = ALL_SYSTEMS.map((s) => rates.get(`${s}|${w.name}`));
      return [w.name, fmt(m), fmt(o), fmt(a), fmt(f), ratio(o, m), ratio(o, a)];
    }),
    notes: [
      'Target: ours ≥ 2× Mosquitto at QoS 1. Ours runs with authentication (per-account secrets), topic rules, the rate, in-flight and queue limits, metrics and revocation checks on; bare Aedes has no hooks.',
      'Each broker in its own process; the publishers and the subscriber (clean session, QoS 1 subscription) share the bench process: raw-socket MQTT clients with pre-encoded packets (mqtt.js would be the bottleneck). Mosquitto: set_tcp_nodelay true, max_queued_messages 0 (its default 1,000 drops silently).',
      'Ours sends a QoS 1 PUBACK after the message is routed (Aedes and Mosquitto before): an acknowledged message is never only in flight.',
    ],
  };
  const us = (t: Throughput | undefined): string => (t ? t.cpuUs.toFixed(2) : '–');
  const cpuRatio = (a: Throughput | undefined, b: Throughput | undefined): string => (a && b ? `${(b.cpuUs / a.cpuUs).toFixed(2)}×` : '–');
  const cpuTable: BenchTable = {
    title: 'Broker CPU per message delivered, µs (user + system time of the broker process over the same runs): what one core can carry',
    columns: ['workload', 'Mosquitto 2.0', 'ours', 'bare Aedes', 'Node floor', 'ours: messages per CPU-second / Mosquitto'],
    rows: WORKLOADS.map((w) => {
      const [m, o, a, f] = ALL_SYSTEMS.map((s) => rates.get(`${s}|${w.name}`));
      return [w.name, us(m), us(o), us(a), us(f), cpuRatio(o, m)];
    }),
    notes: [
      '"Node floor": bench/src/relay-floor.ts, the least a Node process must do to carry this traffic (parse, PUBACK, forward, track in flight; no authentication, matching, sessions or limits): the headroom Node leaves a broker on this machine.',
      'Messages/s above depend on the clients as well (they share the two cores with the broker, and a publisher waits for each batch\'s PUBACKs); CPU per message is the broker\'s own cost. From /proc/<pid>/stat, 10 ms ticks.',
    ],
  };
  const mqttJsTable: BenchTable = {
    title: `Messages/s with mqtt.js clients (publishes awaited in batches of 500, as DEPENDENCIES.md describes; median of ${ROUNDS} runs)`,
    columns: ['workload', 'Mosquitto 2.0', 'ours', 'bare Aedes', 'Node floor', 'ours / Mosquitto', 'ours / bare Aedes'],
    rows: MQTTJS_WORKLOADS.map((w) => {
      const [m, o, a, f] = ALL_SYSTEMS.map((s) => rates.get(`${s}|mqtt.js|${w.name}`));
      return [w.name, fmt(m), fmt(o), fmt(a), fmt(f), ratio(o, m), ratio(o, a)];
    }),
    notes: [
      'mqtt.js acknowledges each message separately and costs more CPU per message than the brokers; Mosquitto sends a subscriber at most 20 unacknowledged QoS 1 messages (max_inflight_messages), so a slower subscriber holds it back, where Aedes keeps writing.',
    ],
  };
  const idleTable: BenchTable = {
    title: `${IDLE.toLocaleString('en-US')} idle authenticated connections (raw CONNECT, keep-alive 60 s)`,
    columns: ['broker', 'connected', 'RSS before, MB', 'KB per connection, 2 s after', `KB per connection, ${SETTLE_MS / 1000} s idle`],
    rows: SYSTEMS.filter((s) => idle.has(s)).map((s) => {
      const r = idle.get(s)!;
      return [s, r.connected, r.beforeMb.toFixed(1), r.afterKb.toFixed(1), r.settledKb.toFixed(1)];
    }),
    notes: [
      'Target: ≤ 10 KB per idle authenticated connection (ours). RSS of the broker process from /proc, minus its RSS before the first connection.',
      `Node returns the heap pages of the connection handshakes to the OS lazily, so the ${SETTLE_MS / 1000} s column is the steady cost; the 2 s column includes garbage not yet collected.`,
    ],
  };
  return [throughputTable, cpuTable, mqttJsTable, idleTable];
}

export const brokerBench: Bench = {
  name: 'broker',
  description: 'MQTT msg/s (QoS 0/1, 1 and 1,000 publishers) and RSS per idle connection: ours vs Mosquitto vs bare Aedes',
  run,
};

if (process.env.IOC_BROKER_BENCH_NODE) void brokerNode(process.env.IOC_BROKER_BENCH_NODE);
