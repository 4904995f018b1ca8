import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pino from 'pino';
import { openPtyPair, type PtyPair } from '@ioc/simulators';
import { parseAgentConfig, startAgent, type RunningAgent } from '@ioc/edge';
import { startStack, type Stack } from './stack.js';
import { edgeConfigFor } from './edge-config.js';

/**
 * The walking skeleton, end to end on real parts: known PMS5003 frame bytes written into a socat pty →
 * the edge agent's driver (serialport) → QoS 1 to Aedes with the gateway's own credentials → ingest →
 * a real influxd → GET /api/v1/telemetry returns the exact value at the exact time of measurement.
 */

// Captured from a real PMS5003 (shared/domain/vectors.json): atmospheric pm1 0, pm2.5 8, pm10 8 µg/m³.
const FRAME = Buffer.from('424d001c00000008000800000008000800d20046002d001e00000000970002c5', 'hex');
// The agent's (fixed) clock: a whole minute an hour ago, inside raw retention (30 days).
const MEASURED_AT = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

let home: string;
let stack: Stack;
let pty: PtyPair;
let agent: RunningAgent;
/** Advances the agent's clock by one second per later frame. */
let framesLater = 0;

function writeFrame(): void {
  const fd = openSync(pty.devicePath, 'w');
  writeSync(fd, FRAME);
  closeSync(fd);
}

/** The first `alert` event of the SSE stream, as a user's browser would receive it. */
async function firstAlertEvent(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let text = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`stream ended: ${text}`);
    text += new TextDecoder().decode(chunk.value);
    const data = /event: alert\ndata: (.*)\n/.exec(text)?.[1];
    if (data) {
      await reader.cancel();
      return JSON.parse(data) as Record<string, unknown>;
    }
  }
}

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'ioc-journey-'));
  const log = pino({ level: 'silent' });
  stack = await startStack({ home, log, mqttPort: 0, httpPort: 0, influxPort: 0 });
  stack.registry.ensureSite('ha-nam', 'test');
  const { secret } = await stack.registry.createGateway('ha-nam', 'gw-01', 'test');
  pty = await openPtyPair(home);
  const config = parseAgentConfig({
    ...edgeConfigFor('ha-nam', 'gw-01', stack.broker.url, secret),
    uplink: { maxBatchReadings: 500, lingerMs: 50 },
    inputs: [{ driver: 'pms5003', id: 'pms-1', port: pty.hostPath, sensor: 'pm-01' }],
  });
  agent = await startAgent(config, log, { now: () => MEASURED_AT + 1000 * framesLater });
});

afterAll(async () => {
  await agent?.stop(2000);
  await pty?.close();
  await stack?.close();
  rmSync(home, { recursive: true, force: true });
});

async function get(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a reading travels from the serial port to the API', () => {
  it('arrives with its exact value and time of measurement', async () => {
    writeFrame();

    const query = `${stack.cloud.url}/api/v1/telemetry?site=ha-nam&sensor=pm-01&from=${MEASURED_AT}&to=${MEASURED_AT + 1}`;
    let points: { metric: string; value: number; ts: number; time: string; quality: string; gateway: string }[] = [];
    for (let i = 0; i < 100 && points.length < 9; i++) {
      const res = await get(query, stack.adminToken);
      expect(res.status).toBe(200);
      points = res.body.points as typeof points;
      if (points.length < 9) await new Promise((r) => setTimeout(r, 100));
    }
    const byMetric = Object.fromEntries(points.map((p) => [p.metric, p]));
    expect(byMetric.pm25).toEqual({
      ts: MEASURED_AT,
      time: new Date(MEASURED_AT).toISOString(),
      site: 'ha-nam',
      gateway: 'gw-01',
      sensor: 'pm-01',
      metric: 'pm25',
      value: 8,
      quality: 'good',
    });
    expect(byMetric.pm1?.value).toBe(0);
    expect(byMetric.pm10?.value).toBe(8);
    expect(byMetric.pc_0_3?.value).toBe(210);
    expect(byMetric.pc_2_5?.value).toBe(30);
    expect(points).toHaveLength(9); // pm1, pm25, pm10 and six particle counts
  });

  it('a frame above a rule opens an alert that reaches the IOC on the SSE stream', async () => {
    stack.cloud.alerts!.service.setRules(
      [{ id: 'pm25-demo', kind: 'threshold', metric: 'pm25', direction: 'above', value: 5, severity: 'critical', label: { vi: 'Bụi PM2.5 cao', en: 'PM2.5 high' } }],
      'test',
    );
    const event = firstAlertEvent(`${stack.cloud.url}/api/v1/alerts/stream?access_token=${stack.adminToken}`);
    // An integration (e.g. Node-RED) reads the same transitions from MQTT with an observer account.
    const observerSecret = await stack.registry.issueServiceSecret('svc-node-red', 'observer', 'test');
    const observer = await mqtt.connectAsync(stack.broker.url, { clientId: 'svc-node-red', username: 'svc-node-red', password: observerSecret, reconnectPeriod: 0 });
    await observer.subscribeAsync('ioc/v1/alerts/#', { qos: 1 });
    const onMqtt = new Promise<{ topic: string; body: Record<string, unknown> }>((resolve) =>
      observer.once('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> })),
    );
    await new Promise((r) => setTimeout(r, 100));
    framesLater = 1;
    writeFrame();
    expect(await event).toMatchObject({
      type: 'opened',
      ruleId: 'pm25-demo',
      severity: 'critical',
      state: 'open',
      subject: { site: 'ha-nam', gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25' },
      cause: { sensor: 'pm-01', metric: 'pm25', ts: MEASURED_AT + 1000, value: 8 },
    });
    const viaMqtt = await onMqtt;
    await observer.endAsync();
    expect(viaMqtt.topic).toBe('ioc/v1/alerts/ha-nam');
    expect(viaMqtt.body).toMatchObject({ type: 'opened', ruleId: 'pm25-demo', cause: { value: 8 } });
    const list = await get(`${stack.cloud.url}/api/v1/alerts?state=open`, stack.adminToken);
    expect((list.body.alerts as { ruleId: string }[]).map((a) => a.ruleId)).toEqual(['pm25-demo']);
  });

  it('refuses the query without a valid bearer token', async () => {
    const url = `${stack.cloud.url}/api/v1/telemetry?sensor=pm-01`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, 'ioc_not-a-token')).body).toMatchObject({ code: 'IOC_ERR_UNAUTHORIZED' });
  });

  it('reports every component up on /health', async () => {
    const res = await get(`${stack.cloud.url}/api/v1/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      components: { influxdb: { status: 'up' }, mqtt: { status: 'up' }, registry: { status: 'up' } },
    });
  });

  it('shows the gateway online with its agent version', async () => {
    const res = await get(`${stack.cloud.url}/api/v1/gateways`, stack.adminToken);
    expect(res.body.gateways).toEqual([
      expect.objectContaining({ site: 'ha-nam', gateway: 'gw-01', online: true, revoked: false, agentVersion: '0.1.0' }),
    ]);
  });
});
