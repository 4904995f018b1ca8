import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startInfluxd, type ManagedInfluxd } from '../../influx/influxd.js';
import { telemetryStoreContract } from '../telemetry-store.contract.js';
import type { StoredReading } from '../telemetry-store.js';
import { StoreErrorCode } from '../errors.js';
import { createInfluxStore } from './influx-store.js';

let influxd: ManagedInfluxd;
let dataDir: string;
let databases = 0;
const freshDatabase = () => `contract_${process.pid}_${++databases}`;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ioc-influx-store-'));
  influxd = await startInfluxd({ dataDir });
});
afterAll(async () => {
  await influxd?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

telemetryStoreContract('InfluxDB 1.x', () => Promise.resolve(createInfluxStore({ url: influxd.url, database: freshDatabase() })));

const reading = (over: Partial<StoredReading> = {}): StoredReading => ({
  site: 'hanoi-01',
  gateway: 'gw-1',
  sensor: 'pms-1',
  metric: 'pm25',
  ts: Date.now() - 60_000,
  value: 1,
  quality: 'good',
  ...over,
});

async function influxql(q: string, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q, ...(db ? { db } : {}) });
  const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: params });
  return res.json();
}

/** name → query text of the database's continuous queries. */
async function continuousQueries(database: string): Promise<Map<string, string>> {
  const body = (await influxql('SHOW CONTINUOUS QUERIES')) as { results: { series?: { name: string; values?: string[][] }[] }[] };
  const mine = body.results[0]?.series?.find((s) => s.name === database);
  return new Map((mine?.values ?? []).map(([name, query]) => [name ?? '', query ?? '']));
}

describe('InfluxDB store: schema and retention', () => {
  it('stores value as a float field, quality as integer field q, and ids as tags', async () => {
    const database = freshDatabase();
    const store = createInfluxStore({ url: influxd.url, database });
    await store.init();
    await store.write([reading({ value: 3, quality: 'uncertain' })]);
    expect(await influxql('SHOW FIELD KEYS FROM "telemetry"', database)).toMatchObject({
      results: [{ series: [{ values: [['q', 'integer'], ['value', 'float']] }] }],
    });
    expect(await influxql('SHOW TAG KEYS FROM "telemetry"', database)).toMatchObject({
      results: [{ series: [{ values: [['gateway'], ['metric'], ['sensor'], ['site']] }] }],
    });
    expect(await influxql('SELECT "q" FROM "telemetry"', database)).toMatchObject({
      results: [{ series: [{ values: [[expect.any(String) as unknown, 1]] }] }],
    });
    await store.close();
  });

  it('creates the retention policy as the default, and alters it to match the options', async () => {
    const database = freshDatabase();
    const first = createInfluxStore({ url: influxd.url, database, retentionPolicy: { name: 'raw', duration: '730d' } });
    await first.init();
    const later = createInfluxStore({ url: influxd.url, database, retentionPolicy: { name: 'raw', duration: '30d', shardDuration: '1d' } });
    await later.init();
    expect(await influxql(`SHOW RETENTION POLICIES ON "${database}"`)).toMatchObject({
      results: [{ series: [{ values: expect.arrayContaining([['raw', '720h0m0s', '24h0m0s', 1, true]]) as unknown }] }],
    });
    await Promise.all([first.close(), later.close()]);
  });

  it('creates the rollup policies (1m 365d, 1h forever) and their continuous queries, bad readings left out', async () => {
    const database = freshDatabase();
    const store = createInfluxStore({ url: influxd.url, database });
    await store.init();
    expect(await influxql(`SHOW RETENTION POLICIES ON "${database}"`)).toMatchObject({
      results: [
        {
          series: [
            {
              values: expect.arrayContaining([
                ['raw', '720h0m0s', expect.any(String), 1, true],
                ['rollup_1m', '8760h0m0s', expect.any(String), 1, false],
                ['rollup_1h', '0s', expect.any(String), 1, false],
              ]) as unknown,
            },
          ],
        },
      ],
    });
    const cqs = await continuousQueries(database);
    expect(cqs.get('cq_telemetry_1m')).toMatch(
      /RESAMPLE EVERY 1m FOR 10m BEGIN SELECT mean\(value\) AS mean, min\(value\) AS min, max\(value\) AS max, count\(value\) AS count, sum\(value\) AS sum INTO \S+\.rollup_1m\.telemetry_1m FROM \S+\.raw\.telemetry WHERE q < 2 GROUP BY time\(1m\), \* END/,
    );
    expect(cqs.get('cq_telemetry_1h')).toMatch(/RESAMPLE EVERY 1h FOR 2h .* INTO \S+\.rollup_1h\.telemetry_1h .* GROUP BY time\(1h\), \* END/);
    await store.close();
  });

  it('replaces a continuous query and alters a rollup policy whose options changed', async () => {
    const database = freshDatabase();
    await createInfluxStore({ url: influxd.url, database }).init();
    const later = createInfluxStore({ url: influxd.url, database, rollups: { '1m': { duration: '30d', resampleFor: '1h' } } });
    await later.init();
    expect((await continuousQueries(database)).get('cq_telemetry_1m')).toMatch(/RESAMPLE EVERY 1m FOR 1h /);
    expect(JSON.stringify(await influxql(`SHOW RETENTION POLICIES ON "${database}"`))).toContain('["rollup_1m","720h0m0s"');
    await later.close();
  });

  it('rolls up raw data written before the rollups existed, once, at init()', async () => {
    const database = freshDatabase();
    const hour = Math.floor((Date.now() - 5 * 3_600_000) / 3_600_000) * 3_600_000;
    await influxql(`CREATE DATABASE "${database}"`);
    await influxql(`CREATE RETENTION POLICY "raw" ON "${database}" DURATION 730d REPLICATION 1 DEFAULT`);
    const lines = [
      `telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=4,q=0i ${hour}`,
      `telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=6,q=0i ${hour + 1000}`,
    ];
    const res = await fetch(`${influxd.url}/write?db=${database}&rp=raw&precision=ms`, { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
    const store = createInfluxStore({ url: influxd.url, database });
    await store.init();
    const window = { from: hour, to: hour + 3_600_000 };
    expect(await store.aggregate({ ...window, every: '1m', fn: 'mean' })).toMatchObject([{ ts: hour, value: 5, count: 2 }]);
    expect(await store.aggregate({ ...window, every: '1h', fn: 'max' })).toMatchObject([{ ts: hour, value: 6, count: 2 }]);
    await store.close();
  });

  it('writes gzip bodies by default, and plain text when asked', async () => {
    for (const gzip of [true, false]) {
      const database = freshDatabase();
      const store = createInfluxStore({ url: influxd.url, database, gzip });
      await store.init();
      const written = reading({ ts: Date.now() - 1000, value: 1.25 });
      await store.write([written]);
      expect(await store.latest({})).toMatchObject([{ ts: written.ts, value: 1.25 }]);
      await store.close();
    }
  });

  it('refuses invalid options at once', () => {
    expect(() => createInfluxStore({ url: influxd.url, rollups: { '1m': { duration: 'a year' } } })).toThrow(/rollups.1m.duration/);
    expect(() => createInfluxStore({ url: influxd.url, rollups: { '1h': { resampleFor: '30m' } } })).toThrow(/rollups.1h.resampleFor/);
    expect(() => createInfluxStore({ url: influxd.url, retentionPolicy: { name: 'raw', duration: '30 days; DROP' } })).toThrow(
      /retentionPolicy.duration/,
    );
    expect(() => createInfluxStore({ url: 'not a url' })).toThrow();
    expect(() => createInfluxStore({ url: influxd.url, writeTimeoutMs: 0 })).toThrow(/writeTimeoutMs/);
  });
});

describe('InfluxDB store: error classification against the real server', () => {
  it("reports the server's refusal of a point outside retention as BAD_DATA with InfluxDB's words", async () => {
    const store = createInfluxStore({ url: influxd.url, database: freshDatabase() });
    await store.init();
    const tenYearsAgo = Date.now() - 10 * 365 * 86_400_000;
    await expect(store.write([reading({ ts: tenYearsAgo })])).rejects.toMatchObject({
      code: StoreErrorCode.BAD_DATA,
      retryable: false,
      status: 400,
      message: expect.stringContaining('points beyond retention policy') as unknown,
    });
    await store.close();
  });

  it('reports a write to a database that does not exist yet as UNAVAILABLE (retryable: init() fixes it)', async () => {
    const store = createInfluxStore({ url: influxd.url, database: freshDatabase() });
    await expect(store.write([reading()])).rejects.toMatchObject({
      code: StoreErrorCode.UNAVAILABLE,
      retryable: true,
      status: 404,
      message: expect.stringContaining('database not found') as unknown,
    });
    await expect(store.query({ from: 0, to: Date.now() })).rejects.toMatchObject({ code: StoreErrorCode.UNAVAILABLE });
    await store.close();
  });

  it('reports nobody listening as UNAVAILABLE, and ping as not ok', async () => {
    const store = createInfluxStore({ url: `http://127.0.0.1:${await findFreePort()}` });
    await expect(store.write([reading()])).rejects.toMatchObject({
      code: StoreErrorCode.UNAVAILABLE,
      retryable: true,
      message: expect.stringContaining('ECONNREFUSED') as unknown,
    });
    await expect(store.init()).rejects.toMatchObject({ code: StoreErrorCode.UNAVAILABLE });
    expect(await store.ping()).toMatchObject({ ok: false });
    await store.close();
  });

  it('answers ping with the server version', async () => {
    const store = createInfluxStore({ url: influxd.url });
    expect(await store.ping()).toMatchObject({ ok: true, version: expect.stringMatching(/^1\./) as unknown });
    await store.close();
  });
});

describe('InfluxDB store: HTTP status classification (a stand-in server answering what 1.x answers)', () => {
  let server: Server;
  let url: string;
  let answer: (res: ServerResponse) => void = (res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const respond = (status: number, error: string) => (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-influxdb-error': error });
    res.end(JSON.stringify({ error }));
  };

  it.each([
    [400, 'partial write: field type conflict', StoreErrorCode.BAD_DATA, false],
    [422, 'unprocessable entity', StoreErrorCode.BAD_DATA, false],
    [413, 'Request Entity Too Large', StoreErrorCode.TOO_LARGE, false],
    [429, 'too many requests', StoreErrorCode.UNAVAILABLE, true],
    [500, 'engine: error syncing wal', StoreErrorCode.UNAVAILABLE, true],
    [503, 'service unavailable', StoreErrorCode.UNAVAILABLE, true],
    [401, 'authorization failed', StoreErrorCode.UNAVAILABLE, true],
  ] as const)('write answered %i → %s', async (status, error, code, retryable) => {
    answer = respond(status, error);
    const store = createInfluxStore({ url });
    await expect(store.write([reading()])).rejects.toMatchObject({
      code,
      retryable,
      status,
      message: expect.stringContaining(error) as unknown,
    });
    await store.close();
  });

  it('sends a gzip body that decompresses to the line protocol', async () => {
    let seen: { encoding: string | undefined; body: string } | undefined;
    const capture = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { encoding: req.headers['content-encoding'], body: gunzipSync(Buffer.concat(chunks)).toString() };
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    const address = capture.address();
    const store = createInfluxStore({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
    await store.write([reading({ ts: 1_700_000_000_123, value: 2.5 })]);
    expect(seen).toEqual({
      encoding: 'gzip',
      body: 'telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=2.5,q=0i 1700000000123',
    });
    await store.close();
    capture.closeAllConnections();
    await new Promise((resolve) => capture.close(resolve));
  });

  it('a query answered 400 is BAD_QUERY, not retryable', async () => {
    answer = respond(400, 'error parsing query');
    const store = createInfluxStore({ url });
    await expect(store.query({ from: 0, to: 1 })).rejects.toMatchObject({ code: StoreErrorCode.BAD_QUERY, retryable: false });
    await store.close();
  });

  it('times out a write that gets no answer: UNAVAILABLE, and close() waits for it', async () => {
    answer = () => undefined; // never answers
    const store = createInfluxStore({ url, writeTimeoutMs: 200 });
    const started = Date.now();
    const write = store.write([reading()]);
    const closed = store.close();
    await expect(write).rejects.toMatchObject({
      code: StoreErrorCode.UNAVAILABLE,
      retryable: true,
      message: expect.stringContaining('timed out after 200 ms') as unknown,
    });
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out a ping: not ok', async () => {
    answer = () => undefined;
    const store = createInfluxStore({ url, pingTimeoutMs: 100 });
    const pong = await store.ping();
    expect(pong.ok).toBe(false);
    expect(pong.latencyMs).toBeGreaterThanOrEqual(90);
    await store.close();
  });
});
