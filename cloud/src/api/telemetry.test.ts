import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type ManagedInfluxd } from '../influx/influxd.js';
import { createInfluxStore } from '../store/influx/influx-store.js';
import type { StoredReading, TelemetryStore } from '../store/telemetry-store.js';
import { openSqliteDeadLetterStore } from '../deadletter/sqlite-dead-letter-store.js';
import type { DeadLetterStore } from '../deadletter/dead-letter-store.js';
import { installErrorHandler } from './errors.js';
import { telemetryRoutes } from './telemetry.js';
import { deadLetterRoutes } from './deadletters.js';

/** The telemetry and dead-letter routes over a real influxd and a real SQLite file, through Fastify's inject(). */

let dir: string;
let influxd: ManagedInfluxd;
let store: TelemetryStore;
let deadLetters: DeadLetterStore;
let app: FastifyInstance;
const TOKEN = 'Bearer good';
const H = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000; // a whole hour, 2–3 hours ago

async function auth(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (req.headers.authorization !== TOKEN) await reply.code(401).send({ code: 'IOC_ERR_UNAUTHORIZED', message: 'no' });
}

const reading = (over: Partial<StoredReading>): StoredReading => ({
  site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm25', ts: H, value: 1, quality: 'good', ...over,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ioc-api-telemetry-'));
  influxd = await startInfluxd({ dataDir: path.join(dir, 'influx') });
  store = createInfluxStore({ url: influxd.url });
  await store.init();
  await store.write([
    reading({ ts: H + 1, value: 10 }),
    reading({ ts: H + 30_000, value: 20 }),
    reading({ ts: H + 60_000, value: 40, quality: 'uncertain' }),
    reading({ ts: H + 61_000, value: 999, quality: 'bad' }),
    reading({ ts: H + 3_600_000 + 5, value: 5 }),
    reading({ ts: H + 2, metric: 'pm10', value: 7 }),
    reading({ ts: H + 3, gateway: 'gw-2', value: 3 }),
  ]);
  await store.refreshRollups(H, H + 2 * 3_600_000);
  deadLetters = openSqliteDeadLetterStore({ path: path.join(dir, 'deadletters.db') });
  app = Fastify();
  installErrorHandler(app);
  await app.register(telemetryRoutes, { store, auth, now: () => H + 2 * 3_600_000 });
  await app.register(deadLetterRoutes, { deadLetters, auth });
});
afterAll(async () => {
  await app?.close();
  await deadLetters?.close();
  await store?.close();
  await influxd?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function get(url: string, authorization = TOKEN) {
  const res = await app.inject({ method: 'GET', url, headers: { authorization } });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe('GET /api/v1/telemetry', () => {
  it('serves raw readings with their quality, exactly', async () => {
    const res = await get(`/api/v1/telemetry?gateway=gw-1&metric=pm25&from=${H}&to=${H + 60_001}`);
    expect(res.status).toBe(200);
    expect(res.body.points).toEqual([
      { ts: H + 1, time: new Date(H + 1).toISOString(), site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm25', value: 10, quality: 'good' },
      expect.objectContaining({ ts: H + 30_000, value: 20 }),
      expect.objectContaining({ ts: H + 60_000, value: 40, quality: 'uncertain' }),
    ]);
  });

  it('aggregates per minute from the 1m rollup, bad readings left out', async () => {
    const res = await get(`/api/v1/telemetry?gateway=gw-1&metric=pm25&from=${H}&to=${H + 120_000}&every=1m&fn=mean`);
    expect(res.body).toMatchObject({ every: '1m', fn: 'mean', count: 2 });
    expect(res.body.points).toEqual([
      { ts: H, time: new Date(H).toISOString(), site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm25', value: 15, count: 2 },
      { ts: H + 60_000, time: new Date(H + 60_000).toISOString(), site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm25', value: 40, count: 1 },
    ]);
  });

  it('aggregates per hour and per day, max and min', async () => {
    const hours = await get(`/api/v1/telemetry?gateway=gw-1&metric=pm25&from=${H}&to=${H + 7_200_000}&every=1h&fn=max`);
    expect((hours.body.points as { ts: number; value: number }[]).map((p) => [p.ts - H, p.value])).toEqual([[0, 40], [3_600_000, 5]]);
    const day = Math.floor(H / 86_400_000) * 86_400_000;
    const days = await get(`/api/v1/telemetry?gateway=gw-1&metric=pm25&from=${day}&to=${day + 86_400_000}&every=1d&fn=min`);
    expect(days.body.points).toEqual([expect.objectContaining({ ts: day, value: H + 3_600_000 < day + 86_400_000 ? 5 : 10 })]);
  });

  it('defaults fn to mean, and refuses fn without every, an unknown width, and a reversed window', async () => {
    expect((await get(`/api/v1/telemetry?from=${H}&to=${H + 60_000}&every=1m&metric=pm25&gateway=gw-1`)).body).toMatchObject({ fn: 'mean', count: 1 });
    expect(await get(`/api/v1/telemetry?fn=max`)).toMatchObject({ status: 400, body: { code: 'IOC_ERR_BAD_REQUEST', path: 'querystring.fn' } });
    expect((await get(`/api/v1/telemetry?every=5m`)).status).toBe(400);
    expect((await get(`/api/v1/telemetry?from=${H + 1}&to=${H}`)).status).toBe(400);
  });

  it('answers 401 without the token', async () => {
    expect((await get('/api/v1/telemetry', 'Bearer bad')).status).toBe(401);
    expect((await get('/api/v1/telemetry/latest', 'Bearer bad')).status).toBe(401);
  });
});

describe('GET /api/v1/telemetry/latest', () => {
  it('returns the latest reading of every sensor and metric, filtered by site and gateway', async () => {
    const res = await get('/api/v1/telemetry/latest?site=ha-nam&gateway=gw-1');
    expect(res.body).toMatchObject({ count: 2 });
    expect(res.body.points).toEqual([
      { ts: H + 2, time: new Date(H + 2).toISOString(), site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm10', value: 7, quality: 'good' },
      { ts: H + 3_600_000 + 5, time: new Date(H + 3_600_000 + 5).toISOString(), site: 'ha-nam', gateway: 'gw-1', sensor: 'pm-01', metric: 'pm25', value: 5, quality: 'good' },
    ]);
    expect((await get('/api/v1/telemetry/latest')).body.count).toBe(3);
    expect((await get('/api/v1/telemetry/latest?site=nowhere')).body).toEqual({ count: 0, points: [] });
  });
});

describe('GET /api/v1/deadletters', () => {
  it('lists newest first with filters and a cursor, payload as text or base64, and counts by code', async () => {
    const base = { topic: 'ioc/v1/ha-nam/gw-1/telemetry', site: 'ha-nam', gateway: 'gw-1', path: '' };
    await deadLetters.add({ ...base, payload: Buffer.from('{"seq":'), code: 'IOC_ERR_PAYLOAD_JSON', message: 'not JSON', at: H });
    await deadLetters.add({ ...base, payload: Buffer.from([0xff, 0xfe]), code: 'IOC_ERR_PAYLOAD_ENCODING', message: 'not UTF-8', at: H + 1 });
    await deadLetters.add({ ...base, gateway: 'gw-2', payload: Buffer.alloc(70_000, 0x61), code: 'IOC_ERR_PAYLOAD_TOO_LARGE', message: 'big', at: H + 2 });

    const all = await get('/api/v1/deadletters?limit=2');
    expect(all.body).toMatchObject({ total: 3, count: 2 });
    const letters = all.body.letters as Record<string, unknown>[];
    expect(letters.map((l) => l.code)).toEqual(['IOC_ERR_PAYLOAD_TOO_LARGE', 'IOC_ERR_PAYLOAD_ENCODING']);
    expect(letters[0]).toMatchObject({ payloadBytes: 70_000, truncated: true, payloadEncoding: 'utf8', gateway: 'gw-2', time: new Date(H + 2).toISOString() });
    expect((letters[0]?.payload as string).length).toBe(65_536);
    expect(letters[1]).toMatchObject({ payload: '//4=', payloadEncoding: 'base64', truncated: false });

    const older = await get(`/api/v1/deadletters?limit=2&before=${String(all.body.next)}`);
    expect(older.body).toMatchObject({ total: 3, count: 1, next: null, letters: [{ code: 'IOC_ERR_PAYLOAD_JSON', payload: '{"seq":' }] });
    expect((await get('/api/v1/deadletters?code=IOC_ERR_PAYLOAD_JSON')).body).toMatchObject({ total: 1 });
    expect((await get('/api/v1/deadletters?gateway=gw-1')).body).toMatchObject({ total: 2 });
    expect((await get(`/api/v1/deadletters?from=${H + 1}&to=${new Date(H + 2).toISOString()}`)).body).toMatchObject({ total: 1 });
    expect((await get('/api/v1/deadletters/stats')).body).toMatchObject({
      stored: 3,
      pruned: 0,
      byCode: { IOC_ERR_PAYLOAD_JSON: 1, IOC_ERR_PAYLOAD_ENCODING: 1, IOC_ERR_PAYLOAD_TOO_LARGE: 1 },
    });
  });

  it('refuses a bad filter and a missing token', async () => {
    expect((await get('/api/v1/deadletters?code=DROP TABLE')).status).toBe(400);
    expect((await get('/api/v1/deadletters?limit=1000')).status).toBe(400);
    expect((await get('/api/v1/deadletters', 'Bearer bad')).status).toBe(401);
  });
});
