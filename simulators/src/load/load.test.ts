import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopback } from './gateway-client.js';
import { runLoad, type LoadProgress } from './generator.js';
import { LatencyHistogram } from './latency.js';
import { encodeTelemetryJson } from './telemetry-json.js';

describe('the telemetry JSON of the load generator', () => {
  it('is the compact wire form: historical only when true, quality only when not good', () => {
    const json = JSON.parse(encodeTelemetryJson(3, [{ sensor: 's-1', metric: 'pm25', ts: 1764064800000, value: 12.5 }]).toString()) as unknown;
    expect(json).toEqual({ seq: 3, readings: [{ sensor: 's-1', metric: 'pm25', ts: 1764064800000, value: 12.5 }] });
    const old = JSON.parse(encodeTelemetryJson(4, [{ sensor: 's-1', metric: 'pm25', ts: 1, value: 1, quality: 'bad' }], true).toString()) as unknown;
    expect(old).toEqual({ seq: 4, historical: true, readings: [{ sensor: 's-1', metric: 'pm25', ts: 1, value: 1, quality: 'bad' }] });
    expect(() => encodeTelemetryJson(1, [])).toThrow(RangeError);
  });
});

describe('the latency histogram', () => {
  it('gives percentiles within 2 %', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 … 100 ms
    expect(h.count).toBe(1000);
    expect(h.percentile(0.5)).toBeGreaterThanOrEqual(50);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(51);
    expect(h.percentile(0.99)).toBeGreaterThanOrEqual(99);
    expect(h.percentile(0.99)).toBeLessThanOrEqual(100);
    expect(h.max).toBe(100);
    h.reset();
    expect(h.percentile(0.5)).toBeNaN();
  });
});

describe('load bounds', () => {
  it('refuses a broker that is not on this machine', () => {
    expect(() => assertLoopback('mqtt://10.0.0.5:1883')).toThrow(expect.objectContaining({ code: 'IOC_ERR_LOAD_NOT_LOOPBACK' }));
    expect(() => assertLoopback('mqtt://broker.example.vn:1883')).toThrow(expect.objectContaining({ code: 'IOC_ERR_LOAD_NOT_LOOPBACK' }));
    expect(() => assertLoopback('mqtt://127.0.0.1:1883')).not.toThrow();
    expect(() => assertLoopback('mqtt://localhost:1883')).not.toThrow();
  });

  it.each([
    [{ rate: 200_000 }, /rate must be/],
    [{ rate: 5000, gateways: 2 }, /rate per gateway/],
    [{ sensors: 0 }, /sensors must be/],
    [{ durationMs: 7_200_000 }, /duration must be/],
  ])('refuses %o before connecting anything', async (override, message) => {
    const gateways = Array.from({ length: (override as { gateways?: number }).gateways ?? 1 }, (_, i) => ({ site: 'load', gateway: `load-${i}`, password: 'x' }));
    await expect(
      runLoad({ url: 'mqtt://127.0.0.1:1', sensors: 1, rate: 10, durationMs: 1000, qos: 1, ...override, gateways }),
    ).rejects.toMatchObject({ code: 'IOC_ERR_LOAD_BOUNDS', message: expect.stringMatching(message) as unknown });
  });
});

// ---- against a real broker: Mosquitto on a loopback port (simulators import none of our broker) ----

let dir: string;
let broker: ChildProcess;
let port: number;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: p } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-load-'));
  port = await freePort();
  // Unbounded queues: Mosquitto's default drops QoS 1 messages to a slow subscriber after 1000 (DEPENDENCIES.md).
  await writeFile(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nset_tcp_nodelay true\n`);
  broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      s.unref();
      setTimeout(() => s.destroy(), 100);
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('mosquitto did not start');
});

afterAll(async () => {
  if (broker && broker.exitCode === null) {
    const exited = new Promise((r) => broker.once('exit', r));
    broker.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('runLoad against a real broker', () => {
  it('publishes what it says: its acknowledged counts equal what a subscriber received', async () => {
    const url = `mqtt://127.0.0.1:${port}`;
    const sub: MqttClient = await mqtt.connectAsync(url, { clientId: 'counter', clean: true });
    const received = { messages: 0, readings: 0, gateways: new Set<string>(), seqs: new Map<string, number[]>() };
    sub.on('message', (topic, payload) => {
      const batch = JSON.parse(payload.toString()) as { seq: number; readings: unknown[] };
      const gateway = topic.split('/')[3] ?? '';
      received.messages += 1;
      received.readings += batch.readings.length;
      received.gateways.add(gateway);
      received.seqs.set(gateway, [...(received.seqs.get(gateway) ?? []), batch.seq]);
    });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const progress: LoadProgress[] = [];
    const summary = await runLoad({
      url,
      gateways: [1, 2, 3].map((i) => ({ site: 'load', gateway: `load-00${i}`, password: 'unused-by-this-broker' })),
      sensors: 4,
      rate: 300,
      durationMs: 2500,
      qos: 1,
      onProgress: (p) => progress.push(p),
    });
    for (let i = 0; i < 200 && received.messages < summary.acked; i++) await new Promise((r) => setTimeout(r, 10));
    await sub.endAsync();

    expect(summary.errors).toBe(0);
    expect(summary.sent).toBe(summary.acked);
    expect(received.messages).toBe(summary.acked);
    expect(received.readings).toBe(summary.readingsAcked);
    expect(summary.readingsAcked).toBe(summary.acked * 4);
    expect([...received.gateways].sort()).toEqual(['load-001', 'load-002', 'load-003']);
    for (const seqs of received.seqs.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // +1 per message
    // Paced to the target: 300 msg/s for 2.5 s is 750 messages (each gateway rounds down its own share).
    expect(summary.acked).toBeGreaterThanOrEqual(745);
    expect(summary.acked).toBeLessThanOrEqual(750);
    expect(summary.p50Ms).toBeGreaterThan(0);
    expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms);
    expect(progress.length).toBeGreaterThanOrEqual(3); // about once a second, and once at the end
    expect(progress.at(-1)?.acked).toBe(summary.acked);
  });

  it('fails with IOC_ERR_LOAD_CONNECT when the broker cannot be reached', async () => {
    const closed = await freePort();
    await expect(
      runLoad({ url: `mqtt://127.0.0.1:${closed}`, gateways: [{ site: 'load', gateway: 'load-001', password: 'x' }], sensors: 1, rate: 1, durationMs: 1000, qos: 1 }),
    ).rejects.toMatchObject({ code: 'IOC_ERR_LOAD_CONNECT' });
  });
});
