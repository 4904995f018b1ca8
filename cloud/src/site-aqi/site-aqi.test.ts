import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { startInfluxd, type ManagedInfluxd } from '../influx/influxd.js';
import { createInfluxStore } from '../store/index.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { Registry } from '../registry/registry.js';
import { GatewayStatusBoard } from '../ingest/gateway-status.js';
import { buildApi } from '../api/app.js';
import { hourOf, siteHourlyAqi } from './site-aqi.js';

const HOUR = 3_600_000;
// vectors.json vn_nowcast[0]: c1 (current hour) first → NowCast 20.27, PM2.5 sub-index 41.
const SERIES = [20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9];
const NOW = hourOf(Date.now()) + 10 * 60_000;
const LAST = hourOf(NOW) - HOUR; // the last complete hour

let dir: string;
let influxd: ManagedInfluxd;
let store: TelemetryStore;
let registry: Registry;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-aqi-'));
  influxd = await startInfluxd({ dataDir: path.join(dir, 'influx') });
  store = createInfluxStore({ url: influxd.url });
  await store.init();
  registry = Registry.open(path.join(dir, 'registry.db'));
  registry.ensureSite('ha-nam-phu-ly', 'test');
  token = registry.issueApiToken('viewer', 'viewer', 'test');
  // Two sensors of one station: hour i's readings average to SERIES[i] (18 and 22 % off, weighted equally).
  const readings = SERIES.flatMap((c, i) => {
    const ts = LAST - i * HOUR + 30 * 60_000;
    return [
      { site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25', ts, value: c * 0.9, quality: 'good' as const },
      { site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'pm-02', metric: 'pm25', ts, value: c * 1.1, quality: 'good' as const },
    ];
  });
  readings.push({ site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'gas-01', metric: 'no2', ts: LAST + 5 * 60_000, value: 118.7, quality: 'good' });
  // A camera heartbeat every 5 min over the last complete hour: down for 3 of the 12.
  registry.createGatewayWithHash('ha-nam-phu-ly', 'gw-01', 'unused', 'test');
  registry.upsertCamera({ id: 'cam-ql1a-km12', site: 'ha-nam-phu-ly', gateway: 'gw-01' }, 'test');
  for (let i = 0; i < 12; i++) {
    readings.push({ site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'cam-ql1a-km12', metric: 'camera_online', ts: LAST + i * 300_000, value: i >= 4 && i < 7 ? 0 : 1, quality: 'good' });
  }
  await store.write(readings);
  await store.refreshRollups(LAST - 12 * HOUR, LAST + HOUR);
  app = await buildApi({
    registry, store, ingest: { stats: () => ({ messages: 0, readings: 0, rejected: 0, storeRetries: 0, connected: true }), status: new GatewayStatusBoard() },
    log: pino({ level: 'silent' }), version: 'test', mqttUrl: 'mqtt://x', rateLimitPerMinute: 100_000,
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
  await influxd?.stop();
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('camera uptime', () => {
  it('is the share of heartbeats online over the period', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/cameras/cam-ql1a-km12/uptime?from=${LAST}&to=${LAST + HOUR}`, headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(res.body)).toMatchObject({ camera: 'cam-ql1a-km12', uptime: 0.75, heartbeats: 12 });
    const none = await app.inject({ method: 'GET', url: `/api/v1/cameras/cam-ql1a-km12/uptime?from=${LAST - 5 * HOUR}&to=${LAST - 4 * HOUR}`, headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(none.body)).toMatchObject({ uptime: null, heartbeats: 0 });
    expect((await app.inject({ method: 'GET', url: '/api/v1/cameras/nope/uptime', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(404);
  });
});

describe('site VN_AQI from the hourly rollup', () => {
  it('computes the NowCast of the 12 hours, the gases of the hour, and takes the maximum', async () => {
    const [hour] = await siteHourlyAqi(store, 'ha-nam-phu-ly', LAST, LAST);
    expect(hour?.nowCast.pm25).toBeCloseTo(20.27, 2);
    expect(hour?.subIndices.pm25).toBe(41);
    expect(hour?.subIndices.no2).toBe(59); // vectors.json: NO2 118.7 → 59
    expect(hour).toMatchObject({ aqi: 59, dominant: 'no2', category: { vi: 'Trung bình', en: 'Moderate', hex: '#ffff00' } });
  });

  it('an hour without PM has no AQI (never 0)', async () => {
    const [hour] = await siteHourlyAqi(store, 'ha-nam-phu-ly', LAST + 5 * HOUR, LAST + 5 * HOUR);
    expect(hour?.aqi).toBeNull();
  });

  it('GET /api/v1/aqi serves the current hour and the history', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/aqi?site=ha-nam-phu-ly&from=${LAST - 2 * HOUR}&to=${LAST + HOUR}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { sites: { site: string; current: { aqi: number; hour: string }; history: { hour: string; aqi: number | null }[] }[] };
    expect(body.sites[0]?.history.map((h) => h.hour)).toEqual([LAST - 2 * HOUR, LAST - HOUR, LAST].map((t) => new Date(t).toISOString()));
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/aqi?site=nowhere', headers: { authorization: `Bearer ${token}` } });
    expect(unknown.statusCode).toBe(404);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/aqi?from=yesterday', headers: { authorization: `Bearer ${token}` } });
    expect(bad).toMatchObject({ statusCode: 400 });
  });
});
