import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMetricName } from '@ioc/protocol';
import {
  DEVICE_KINDS,
  loadScenarioFile,
  MODBUS_REGISTER_MAPS,
  reportedMetrics,
  resolveScenarioPath,
  SCENARIO_METRICS,
  ScenarioHistory,
  type ScenarioSensor,
} from '@ioc/simulators';
import { simCommand } from './sim-command.js';
import { startStack, type Stack } from './stack.js';

/**
 * `ioc sim backfill` and `ioc sim load` against a real stack (influxd, Aedes with the registry's credentials, ingest):
 * what they say they published is what the broker, the ingest and InfluxDB received.
 */

let home: string;
let stack: Stack;
let observer: MqttClient;
const seen: { topic: string; historical: boolean; readings: { ts: number }[] }[] = [];

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'ioc-sim-'));
  stack = await startStack({ home, log: pino({ level: 'silent' }), mqttPort: 0, httpPort: 0, influxPort: 0 });
  // A second reader of every gateway's telemetry, to see the messages as they were sent.
  const secret = await stack.registry.issueServiceSecret('svc-test-observer', 'ingest', 'test');
  observer = await mqtt.connectAsync(stack.broker.url, { clientId: 'svc-test-observer', username: 'svc-test-observer', password: secret, clean: true });
  observer.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as { historical?: boolean; readings: { ts: number }[] };
    seen.push({ topic, historical: body.historical === true, readings: body.readings });
  });
  await observer.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
});

afterAll(async () => {
  await observer?.endAsync();
  await stack?.close();
  rmSync(home, { recursive: true, force: true });
});

async function telemetry(query: string): Promise<{ count: number; points: { ts: number; value: number; metric: string; sensor: string; gateway: string }[] }> {
  const res = await fetch(`${stack.cloud.url}/api/v1/telemetry?${query}`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { count: number; points: { ts: number; value: number; metric: string; sensor: string; gateway: string }[] };
}

/** Polls the API until `query` returns `count` points (the ingest writes after the broker's PUBACK to the sender). */
async function telemetryWhen(query: string, count: number): Promise<Awaited<ReturnType<typeof telemetry>>> {
  let got = await telemetry(query);
  for (let i = 0; i < 200 && got.count < count; i++) {
    await new Promise((r) => setTimeout(r, 50));
    got = await telemetry(query);
  }
  return got;
}

/** Waits until the ingest has written `readings` readings since start (it counts them once stored). */
async function ingestCaughtUp(readings: number): Promise<void> {
  for (let i = 0; i < 200 && stack.cloud.ingest.stats().readings < readings; i++) await new Promise((r) => setTimeout(r, 50));
}

async function sim(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await simCommand([...argv, '--home', home, '--mqtt-url', stack.broker.url], (s) => (out += s));
  return { code, out };
}

describe('the metrics simulators produce', () => {
  it('are all in the wire contract’s catalogue', async () => {
    const haNam = await loadScenarioFile(resolveScenarioPath('ha-nam'));
    const reported = new Set([...SCENARIO_METRICS, ...haNam.sensors.flatMap((s) => reportedMetrics(s))]);
    for (const map of Object.values(MODBUS_REGISTER_MAPS)) for (const r of map) reported.add(r.metric);
    expect([...reported].filter((m) => !isMetricName(m))).toEqual([]);
    expect(new Set(haNam.sensors.map((s) => s.kind))).toEqual(new Set(DEVICE_KINDS));
  });
});

describe('ioc sim backfill', () => {
  it('publishes a day of history with its original timestamps, marked historical, that the API then serves', async () => {
    const before = seen.length;
    const ingest0 = stack.cloud.ingest.stats();
    const { code, out } = await sim(['backfill', 'minimal', '--days', '1', '--interval', '30m']);
    expect(code).toBe(0);
    const [, readings, messages, from, to] = /Backfilled minimal: ([\d,]+) readings in ([\d,]+) messages from 2 gateways, (\S+) … (\S+),/.exec(out) ?? [];
    expect(readings).toBeDefined();
    const window = { fromMs: Date.parse(from!), toMs: Date.parse(to!), intervalMs: 30 * 60_000 };
    expect(window.toMs - window.fromMs).toBe(86_400_000);

    // What the scenario says the past was: the same pure functions, the same window.
    const scenario = await loadScenarioFile(resolveScenarioPath('minimal'));
    const history = new ScenarioHistory(scenario, window);
    const total = history.count('gw-a') + history.count('gw-b');
    expect(Number(readings!.replaceAll(',', ''))).toBe(total);

    // On the wire: every message historical, every reading stamped inside the past window.
    for (let i = 0; i < 200 && seen.slice(before).length < Number(messages!.replaceAll(',', '')); i++) await new Promise((r) => setTimeout(r, 20));
    const sent = seen.slice(before);
    expect(sent.length).toBe(Number(messages!.replaceAll(',', '')));
    expect(sent.every((m) => m.historical)).toBe(true);
    expect(sent.flatMap((m) => m.readings).every((r) => r.ts >= window.fromMs && r.ts < window.toMs)).toBe(true);
    expect(new Set(sent.map((m) => m.topic))).toEqual(new Set(['ioc/v1/test-site/gw-a/telemetry', 'ioc/v1/test-site/gw-b/telemetry']));

    // Stored: the API returns, for a past window, exactly the scenario's values at the scenario's instants.
    const sensor = scenario.sensors.find((s) => s.key === 'gw-a/pm-02') as ScenarioSensor;
    const expected = [...history.instants()].flatMap((t) => history.readingsAt(sensor, t)).filter((r) => r.metric === 'pm25');
    const got = await telemetryWhen(`gateway=gw-a&sensor=pm-02&metric=pm25&from=${window.fromMs}&to=${window.toMs}`, expected.length);
    expect(got.count).toBe(expected.length);
    expect(got.count).toBeGreaterThanOrEqual(47); // 48 half-hours, less what a fault silenced
    expect(got.points.map((p) => [p.ts, p.value])).toEqual(expected.map((r) => [r.ts, r.value]));
    // A PMS5003 reports its six particle counts too.
    await ingestCaughtUp(ingest0.readings + total);
    const counts = await telemetry(`gateway=gw-b&sensor=pm-01&metric=pc_0_3&from=${window.fromMs}&to=${window.toMs}`);
    expect(counts.count).toBeGreaterThan(40);
    expect(counts.points.every((p) => p.value > 0)).toBe(true);
  });

  it('refuses a scenario file with errors, naming the path', async () => {
    await expect(sim(['backfill', path.join(home, 'missing.yaml')])).rejects.toMatchObject({ code: 'IOC_ERR_SCENARIO_YAML' });
    await expect(sim(['backfill', 'minimal', '--days', '-1'])).rejects.toMatchObject({ code: 'IOC_ERR_USAGE' });
  });
});

describe('ioc sim load', () => {
  it('provisions load gateways and reports counts that reconcile with the broker, the ingest and InfluxDB', async () => {
    const start = Date.now();
    const broker0 = stack.broker.stats().publishedIn;
    const ingest0 = stack.cloud.ingest.stats();
    const { code, out } = await sim(['load', '--gateways', '3', '--sensors', '5', '--rate', '150', '--duration', '2s', '--qos', '1']);
    expect(code).toBe(0);
    const acked = Number(/acknowledged (\d+), failed 0/.exec(out)?.[1]);
    const readings = Number(/readings\s+(\d+) acknowledged/.exec(out)?.[1]);
    expect(acked).toBeGreaterThanOrEqual(295); // 150 msg/s × 2 s, each gateway rounding its share down
    expect(acked).toBeLessThanOrEqual(300);
    expect(readings).toBe(acked * 5);
    expect(out).toMatch(/rate\s+\d+ msg\/s\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms/); // the per-second lines
    expect(out).toMatch(/latency\s+p50 [\d.]+ ms, p99 [\d.]+ ms/);

    // The sender's PUBACK comes from the broker; the ingest writes, then acknowledges, on its own subscription.
    await ingestCaughtUp(ingest0.readings + readings);
    expect(stack.cloud.ingest.stats().messages - ingest0.messages).toBe(acked);
    expect(stack.cloud.ingest.stats().readings - ingest0.readings).toBe(readings);
    expect(stack.cloud.ingest.stats().rejected).toBe(ingest0.rejected);
    expect(stack.broker.stats().publishedIn - broker0).toBeGreaterThanOrEqual(acked);
    const stored = await telemetryWhen(`site=load&from=${start - 1000}&to=${Date.now() + 1000}&limit=100000`, readings);
    expect(stored.count).toBe(readings);
    expect(new Set(stored.points.map((p) => p.gateway))).toEqual(new Set(['load-001', 'load-002', 'load-003']));
    expect(stack.registry.listGateways({ site: 'load' }).map((g) => g.id)).toEqual(['load-001', 'load-002', 'load-003']);
  });

  it('refuses a broker that is not on this machine, and rates beyond its bounds', async () => {
    let out = '';
    await expect(simCommand(['load', '--home', home, '--mqtt-url', 'mqtt://192.0.2.10:1883', '--gateways', '1', '--duration', '1s'], (s) => (out += s))).rejects.toMatchObject({
      code: 'IOC_ERR_LOAD_NOT_LOOPBACK',
    });
    await expect(sim(['load', '--gateways', '1', '--rate', '5000'])).rejects.toMatchObject({ code: 'IOC_ERR_USAGE' });
  });
});
