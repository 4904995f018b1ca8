/**
 * Alert latency: from a gateway's publish of a reading that crosses a rule to the `opened` event on the IOC's SSE
 * stream, while ingest carries a background load of 10,000 readings/s (10 gateways × 100 messages/s × 10 readings).
 * The peer is the floor: the same probe message delivered to a bare MQTT subscriber of the same broker.
 *
 * The whole system runs as `ioc up` runs it (one process: broker, ingest, rules, API; influxd as a child); the load,
 * the probe publisher, the SSE reader and the MQTT subscriber run in a worker thread with one clock.
 * `npx tsc -b bench && node bench/dist/run.js alerts` (IOC_BENCH_ALERTS_SECONDS, default 20).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { startStack } from '@ioc/cli';
import type { Bench, BenchTable } from './table.js';

const SECONDS = Number(process.env.IOC_BENCH_ALERTS_SECONDS ?? 20);
const LOAD_GATEWAYS = 10;
const LOAD_MSGS_PER_SEC = 100; // per gateway
const READINGS_PER_MSG = 10;
const PROBE_EVERY_MS = 100;
const SITE = 'bench-site';

interface WorkerInput {
  mqttUrl: string;
  apiUrl: string;
  token: string;
  gateways: { id: string; secret: string }[];
  probe: { id: string; secret: string };
  observer: { id: string; secret: string };
}
interface WorkerResult { alertMs: number[]; mqttMs: number[]; loadReadings: number; probes: number }

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function connect(url: string, id: string, secret: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: id, username: id, password: secret, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
}

/** Reads `opened` events from the SSE stream; calls back with each event's cause.ts. */
async function readAlerts(apiUrl: string, token: string, onOpened: (ts: number) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${apiUrl}/api/v1/alerts/stream?access_token=${token}`, { signal });
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
    if (chunk.done) return;
    buf += decoder.decode(chunk.value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
      buf = buf.slice(i + 2);
      if (!data) continue;
      const e = JSON.parse(data) as { type: string; cause?: { ts: number } };
      if (e.type === 'opened' && e.cause) onOpened(e.cause.ts);
    }
  }
}

async function workerMain(input: WorkerInput): Promise<WorkerResult> {
  const published = new Map<number, number>(); // probe reading ts → publish time
  const alertMs: number[] = [];
  const mqttMs: number[] = [];
  const abort = new AbortController();
  const sse = readAlerts(input.apiUrl, input.token, (ts) => { const t = published.get(ts); if (t !== undefined) alertMs.push(now() - t); }, abort.signal);
  const observer = await connect(input.mqttUrl, input.observer.id, input.observer.secret);
  const probeTopic = `ioc/v1/${SITE}/${input.probe.id}/telemetry`;
  await observer.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 }); // the only telemetry filter a service may use
  observer.on('message', (topic, payload) => {
    if (topic !== probeTopic) return;
    const ts = (JSON.parse(payload.toString()) as { readings: { ts: number; value: number }[] }).readings[0];
    if (ts && ts.value > 500) { const t = published.get(ts.ts); if (t !== undefined) mqttMs.push(now() - t); }
  });
  const loaders = await Promise.all(input.gateways.map((g) => connect(input.mqttUrl, g.id, g.secret)));
  const probe = await connect(input.mqttUrl, input.probe.id, input.probe.secret);
  await sleep(500);
  const end = now() + SECONDS * 1000;
  let seq = 0;
  let loadReadings = 0;
  let probes = 0;
  const load = (async () => {
    while (now() < end) {
      const t0 = now();
      await Promise.all(loaders.map((c, gi) => {
        const ts = Date.now();
        const readings = Array.from({ length: READINGS_PER_MSG }, (_, k) => ({ sensor: `s-${k}`, metric: 'pm25', ts, value: 20 + k }));
        loadReadings += READINGS_PER_MSG;
        return c.publishAsync(`ioc/v1/${SITE}/${input.gateways[gi]!.id}/telemetry`, JSON.stringify({ seq: ++seq, readings }), { qos: 1 });
      }));
      await sleep(Math.max(0, 1000 / LOAD_MSGS_PER_SEC - (now() - t0)));
    }
  })();
  let pseq = 0;
  while (now() < end) {
    // Each probe is a new sensor crossing the rule: a new subject, so a new alert every time (one subject crossing
    // again and again would be held back as flapping, by design).
    const ts = Date.now();
    published.set(ts, now());
    const readings = [{ sensor: `pm-probe-${probes}`, metric: 'pm25', ts, value: 600 }];
    await probe.publishAsync(`ioc/v1/${SITE}/${input.probe.id}/telemetry`, JSON.stringify({ seq: ++pseq, readings }), { qos: 1 });
    probes += 1;
    await sleep(PROBE_EVERY_MS);
  }
  await load;
  await sleep(2000);
  abort.abort();
  await sse.catch(() => undefined);
  await Promise.all([...loaders, probe, observer].map((c) => c.endAsync(true)));
  return { alertMs, mqttMs, loadReadings, probes };
}

if (!isMainThread && (workerData as { bench?: string } | null)?.bench === 'alerts') {
  workerMain((workerData as { input: WorkerInput }).input).then((r) => parentPort!.postMessage(r), (err: unknown) => { throw err; });
}

async function run(): Promise<BenchTable[]> {
  const home = await mkdtemp(path.join(tmpdir(), 'ioc-bench-alerts-'));
  const stack = await startStack({ home, log: pino({ level: 'silent' }), mqttPort: 0, httpPort: 0, influxPort: 0 });
  try {
    stack.registry.ensureSite(SITE, 'bench');
    const provision = async (id: string) => ({ id, secret: (await stack.registry.createGateway(SITE, id, 'bench')).secret });
    const gateways = await Promise.all(Array.from({ length: LOAD_GATEWAYS }, (_, i) => provision(`gw-load-${i}`)));
    const probe = await provision('gw-probe');
    const observer = { id: 'svc-bench-observer', secret: await stack.registry.issueServiceSecret('svc-bench-observer', 'ingest', 'bench') };
    stack.cloud.alerts!.service.setRules([{ id: 'bench-pm25', kind: 'threshold', metric: 'pm25', direction: 'above', value: 500, clear: 100, severity: 'warning' }], 'bench');
    const input: WorkerInput = { mqttUrl: stack.broker.url, apiUrl: stack.cloud.url, token: stack.adminToken, gateways, probe, observer };
    const worker = new Worker(new URL(import.meta.url), { workerData: { bench: 'alerts', input } });
    const result = await new Promise<WorkerResult>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    const row = (name: string, ms: number[]) => {
      const s = [...ms].sort((a, b) => a - b);
      return [name, s.length, percentile(s, 50), percentile(s, 99), s.at(-1) ?? NaN];
    };
    return [{
      title: `Alert latency under ${(LOAD_GATEWAYS * LOAD_MSGS_PER_SEC * READINGS_PER_MSG).toLocaleString('en-US')} readings/s of background load (${SECONDS} s)`,
      columns: ['path', 'samples', 'p50 ms', 'p99 ms', 'max ms'],
      rows: [row('publish → alert opened on SSE (IOC)', result.alertMs), row('publish → bare MQTT subscriber (floor)', result.mqttMs)],
      notes: [
        `Probes crossing the rule: ${result.probes}; background readings published: ${result.loadReadings.toLocaleString('en-US')}.`,
        'Target: p99 under 100 ms on this machine.',
      ],
    }];
  } finally {
    await stack.close();
    await rm(home, { recursive: true, force: true });
  }
}

export const alertsBench: Bench = { name: 'alerts', description: 'reading → alert on the SSE stream, under ingest load', run };
