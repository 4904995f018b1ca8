import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { REFUSAL_REASONS } from './refusals.js';
import { Clients, gateway, service, silentLog, tableVerifier } from './test-support/helpers.js';

/** GET /metrics on a real broker after real traffic. */

let broker: RunningBroker;
const clients = new Clients();

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    metricsPort: 0,
    log: silentLog,
    credentials: tableVerifier({
      'gw-01': { secret: 's1', principal: gateway('site-a', 'gw-01') },
      'svc-ingest': { secret: 'si', principal: service('svc-ingest', 'ingest') },
    }),
  });
  const ingest = await clients.connect(broker.url, { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' });
  await ingest.subscribeAsync(['ioc/v1/+/+/telemetry', 'ioc/v1/+/+/state'], { qos: 1 });
  let n = 0;
  const all = new Promise<void>((resolve) => ingest.on('message', () => ++n === 4 && resolve()));
  const gw = await clients.connect(broker.url, { clientId: 'gw-01', username: 'gw-01', password: 's1' });
  await gw.publishAsync('ioc/v1/site-a/gw-01/state', '{"online":true}', { qos: 1, retain: true });
  await gw.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{"seq":1}', { qos: 1 });
  await gw.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{"seq":2}', { qos: 1 });
  await gw.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{"seq":3}', { qos: 0 });
  await all;
  expect(await clients.connackCode(broker.url, { clientId: 'gw-01' })).toBe(5);
});

afterAll(async () => {
  await clients.endAll();
  await broker.close();
});

/** `name{labels}` → value, from an exposition body. */
function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('GET /metrics', () => {
  it('serves the Prometheus text format with what happened', async () => {
    const res = await fetch(broker.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    const m = samples(body);
    expect(m.get('ioc_broker_connections')).toBe(2);
    expect(m.get('ioc_broker_connections_admitted_total')).toBe(2);
    expect(m.get('ioc_broker_messages_in_total{qos="0"}')).toBe(1);
    expect(m.get('ioc_broker_messages_in_total{qos="1"}')).toBe(3);
    expect(m.get('ioc_broker_messages_out_total{qos="0"}')).toBe(1);
    expect(m.get('ioc_broker_messages_out_total{qos="1"}')).toBe(3);
    expect(m.get('ioc_broker_refusals_total{reason="anonymous"}')).toBe(1);
    expect(m.get('ioc_broker_retained_messages')).toBe(1);
    expect(m.get('ioc_broker_unacknowledged_messages')).toBe(0);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const reason of REFUSAL_REASONS) expect(m.has(`ioc_broker_refusals_total{reason="${reason}"}`)).toBe(true);
    for (const qos of ['0', '1', '2']) expect(m.get(`ioc_broker_messages_in_per_second{qos="${qos}"}`)).toBeGreaterThanOrEqual(0);
    // every family announces its type once, before its samples
    const types = body.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    expect(await broker.metrics()).toContain('ioc_broker_refusals_total{reason="anonymous"} 1');
  });

  it('answers 404 elsewhere', async () => {
    const res = await fetch(broker.metricsUrl!.replace('/metrics', '/other'));
    expect(res.status).toBe(404);
  });
});
