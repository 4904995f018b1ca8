import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from '../registry/registry.js';
import { createInfluxStore } from '../store/index.js';
import { GatewayStatusBoard } from '../ingest/gateway-status.js';
import { buildApi } from '../api/app.js';
import { AlertStore } from './store.js';
import { AlertHub } from './hub.js';
import { hubActions } from './actions.js';
import { WebhookDispatcher } from './webhooks.js';
import type { AlertTransition } from './types.js';

const log = pino({ level: 'silent' });
let dir: string;
let registry: Registry;
let hub: AlertHub;
let webhooks: WebhookDispatcher;
let app: FastifyInstance;
let base: string;
let officer: string;

const opened = (alertId: string, at: number, value: number): AlertTransition => ({
  alertId, type: 'opened', ruleId: 'pm25-high', ruleName: 'PM2.5 cao / PM2.5 high', severity: 'critical',
  subject: { site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25' }, state: 'open', at,
  message: `PM2.5 ${value} µg/m³ above 150 for 10 min`, cause: { sensor: 'pm-01', metric: 'pm25', ts: at, value },
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-alerts-'));
  registry = Registry.open(path.join(dir, 'registry.db'));
  officer = registry.issueApiToken('officer', 'officer', 'test');
  hub = new AlertHub(new AlertStore(path.join(dir, 'alerts.db')));
  webhooks = new WebhookDispatcher({ file: path.join(dir, 'alerts.db'), log, baseDelayMs: 50, maxDelayMs: 200, pollMs: 20 });
  hub.subscribe((e) => webhooks.enqueue(e));
  webhooks.start();
  app = await buildApi({
    registry, store: createInfluxStore({ url: 'http://127.0.0.1:9' }),
    ingest: { stats: () => ({ messages: 0, readings: 0, rejected: 0, storeRetries: 0, connected: true }), status: new GatewayStatusBoard() },
    log, version: 'test', mqttUrl: 'mqtt://x', alerts: { hub, actions: hubActions(hub), webhooks }, rateLimitPerMinute: 100_000,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await webhooks.stop();
  hub.store.close();
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads SSE frames from a live stream until `count` alert events arrived. */
async function readEvents(url: string, headers: Record<string, string>, count: number): Promise<{ id: number; alertId: string; type: string }[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const events: { id: number; alertId: string; type: string }[] = [];
  let buf = '';
  while (events.length < count) {
    const chunk = await reader.read();
    if (chunk.done) break;
    const value = chunk.value;
    buf += new TextDecoder().decode(value);
    let idx: number;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      const id = block.split('\n').find((l) => l.startsWith('id: '));
      if (data && id) events.push({ ...(JSON.parse(data.slice(6)) as { alertId: string; type: string }), id: Number(id.slice(4)) });
    }
  }
  controller.abort();
  return events;
}

describe('alert lifecycle through the API', () => {
  it('an officer acknowledges with a note and resolves; every transition is kept', async () => {
    hub.publish(opened('a-1', 1_764_064_800_000, 182));
    const auth = { authorization: `Bearer ${officer}` };
    const ack = await fetch(`${base}/api/v1/alerts/a-1/ack`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'Đã báo đội kiểm tra' }) });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'api:officer', ackNote: 'Đã báo đội kiểm tra' });
    const again = await fetch(`${base}/api/v1/alerts/a-1/ack`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
    await fetch(`${base}/api/v1/alerts/a-1/resolve`, { method: 'POST', headers: auth });
    const detail = (await (await fetch(`${base}/api/v1/alerts/a-1`, { headers: auth })).json()) as { alert: { state: string }; history: { type: string }[] };
    expect(detail.alert.state).toBe('resolved');
    expect(detail.history.map((h) => h.type)).toEqual(['opened', 'acknowledged', 'resolved']);
    const active = (await (await fetch(`${base}/api/v1/alerts?state=active`, { headers: auth })).json()) as { alerts: unknown[] };
    expect(active.alerts).toEqual([]);
  });

  it('SSE replays what a reconnecting client missed (Last-Event-ID), then streams live', async () => {
    const first = hub.publish(opened('a-2', 1_764_064_900_000, 170));
    hub.publish(opened('a-3', 1_764_065_000_000, 190));
    const stream = readEvents(`${base}/api/v1/alerts/stream`, { authorization: `Bearer ${officer}`, 'last-event-id': String(first.id) }, 2);
    await new Promise((r) => setTimeout(r, 100));
    hub.publish(opened('a-4', 1_764_065_100_000, 200));
    const events = await stream;
    expect(events.map((e) => e.alertId)).toEqual(['a-3', 'a-4']);
    expect(events[1]!.id).toBe(events[0]!.id + 1);
  });

  it('SSE accepts the token as access_token (EventSource) and refuses without one', async () => {
    expect((await fetch(`${base}/api/v1/alerts/stream`)).status).toBe(401);
    const events = await readEvents(`${base}/api/v1/alerts/stream?access_token=${officer}&lastEventId=0`, {}, 3);
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['opened', 'acknowledged', 'resolved']);
  });
});

describe('webhooks', () => {
  let receiver: Server;
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

  it('signs each body, and retries until a receiver that was down answers', async () => {
    // Reserve a port, then keep it closed so the first attempts fail.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { subscriber, secret } = webhooks.addSubscriber(`http://127.0.0.1:${port}/hook`, 'critical');
    const event = hub.publish(opened('a-5', 1_764_066_000_000, 250));
    await new Promise((r) => setTimeout(r, 300));
    expect(webhooks.attempts({ subscriberId: subscriber.id }).length).toBeGreaterThan(0);

    const received: { verified: boolean; body: { id: number; alert: { alertId: string } } }[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // Independent check: parse the header and recompute the HMAC here, not with our helper.
        const sig = String(req.headers['x-ioc-signature']);
        const t = /t=(\d+)/.exec(sig)?.[1] ?? '';
        const v1 = /v1=([0-9a-f]+)/.exec(sig)?.[1] ?? '';
        const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
        received.push({ verified: v1 === expected && Math.abs(Date.now() - Number(t)) < 60_000, body: JSON.parse(body) as never });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', () => r()));
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    expect(received[0]?.verified).toBe(true);
    expect(received[0]?.body.id).toBe(event.id);
    expect(received[0]?.body.alert.alertId).toBe('a-5');
    const attempts = webhooks.attempts({ subscriberId: subscriber.id });
    expect(attempts.at(-1)).toMatchObject({ status: 204, error: null });
    expect(attempts.slice(0, -1).every((a) => a.status === null && a.error !== null)).toBe(true);
  });
});
