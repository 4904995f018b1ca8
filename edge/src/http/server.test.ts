import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../agent.js';
import { parseAgentConfig } from '../config.js';
import { drivers } from '../drivers/index.js';
import { fakeDriverFactory, freePort } from '../testing/fake-driver.js';
import { startTestBroker, until } from '../testing/test-broker.js';

const log = pino({ level: 'silent' });
const root = mkdtempSync(path.join(tmpdir(), 'ioc-http-'));
const fake = fakeDriverFactory();
const registry = { ...drivers, fake };
const agents: RunningAgent[] = [];
let n = 0;
afterAll(async () => {
  for (const a of agents) await a.stop();
  rmSync(root, { recursive: true, force: true });
});

async function agentWithHttp(url: string, port: number): Promise<RunningAgent> {
  const config = parseAgentConfig(
    {
      gateway: { site: 'ha-nam', id: 'gw-01' },
      dataDir: path.join(root, `data-${n++}`),
      mqtt: { url, password: 'x', reconnectMinMs: 20, reconnectMaxMs: 50 },
      http: { port },
      uplink: { lingerMs: 0 },
      inputs: [{ driver: 'fake', id: 'dust', sensor: 'pm-01' }, { driver: 'fake', id: 'weather', sensor: 'wx-01' }],
    },
    registry,
  );
  const agent = await startAgent(config, log, { drivers: registry, now: () => Date.UTC(2025, 10, 25, 10) });
  agents.push(agent);
  return agent;
}

/** The value of one sample line, e.g. `ioc_edge_readings_total` or `ioc_edge_input_frames_ok{input="dust",driver="fake"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('technician endpoint', () => {
  it('serves /metrics in the Prometheus text format with readings, outbox, drops, driver counters and MQTT state', async () => {
    const broker = await startTestBroker();
    try {
      const agent = await agentWithHttp(broker.url, await freePort());
      expect(agent.http?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await until(() => agent.stats().uplink.connected, 'connection');
      const [dust] = fake.instances.slice(-2);
      dust!.emit({ pm25: 42, pm10: 61 });
      dust!.emit({ pm25: 5000, pm10: 61 }); // implausible: kept, marked bad
      dust!.frameError({ code: 'IOC_ERR_FRAME_CHECKSUM' });
      dust!.frameError({ code: 'IOC_ERR_FRAME_CHECKSUM' });
      await until(() => agent.stats().uplink.readingsSent === 4, 'readings sent');

      const res = await fetch(`${agent.http!.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(sample(text, 'ioc_edge_readings_total')).toBe(4);
      expect(sample(text, 'ioc_edge_readings_implausible_total')).toBe(1);
      expect(sample(text, 'ioc_edge_outbox_pending_readings')).toBe(0);
      expect(sample(text, 'ioc_edge_outbox_bytes')).toBe(0);
      expect(sample(text, 'ioc_edge_outbox_dropped_total')).toBe(0);
      expect(sample(text, 'ioc_edge_outbox_durable')).toBe(1);
      expect(sample(text, 'ioc_edge_mqtt_connected')).toBe(1);
      expect(sample(text, 'ioc_edge_mqtt_readings_sent_total')).toBe(4);
      expect(sample(text, 'ioc_edge_frame_errors_total{input="dust",driver="fake",code="IOC_ERR_FRAME_CHECKSUM"}')).toBe(2);
      expect(sample(text, 'ioc_edge_input_frames_ok{input="dust",driver="fake"}')).toBe(2);
      expect(sample(text, 'ioc_edge_input_frames_ok{input="weather",driver="fake"}')).toBe(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
      expect(text).toContain('# TYPE ioc_edge_readings_total counter\n');
      expect(text.match(/^# TYPE ioc_edge_input_frames_ok /gm)).toHaveLength(1); // one family, two samples

      await broker.close();
      await until(() => !agent.stats().uplink.connected, 'disconnection');
      dust!.emit({ pm25: 43 });
      const offline = await (await fetch(`${agent.http!.url}/metrics`)).text();
      expect(sample(offline, 'ioc_edge_mqtt_connected')).toBe(0);
      expect(sample(offline, 'ioc_edge_outbox_pending_readings')).toBe(1);
      expect(sample(offline, 'ioc_edge_outbox_bytes')).toBe(32 + 'pm-01'.length + 'pm25'.length);

      const health = await fetch(`${agent.http!.url}/healthz`);
      expect(health.status).toBe(200); // MQTT down is what the outbox is for: still healthy
      expect(await health.json()).toEqual({ status: 'ok', mqtt: 'disconnected', outbox: { pending: 1, bytes: 41, dropped: 0 }, inputs: 2 });
      expect((await fetch(`${agent.http!.url}/other`)).status).toBe(404);
      expect((await fetch(`${agent.http!.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await broker.close().catch(() => undefined);
    }
  });

  it('is off with port 0, and a port already taken does not stop the agent', async () => {
    const off = await agentWithHttp('mqtt://127.0.0.1:1', 0);
    expect(off.http).toBeUndefined();
    const port = await freePort();
    const first = await agentWithHttp('mqtt://127.0.0.1:1', port);
    const second = await agentWithHttp('mqtt://127.0.0.1:1', port);
    expect(first.http).toBeDefined();
    expect(second.http).toBeUndefined();
    expect(Object.keys(second.stats().inputs)).toEqual(['dust', 'weather']);
  });
});
