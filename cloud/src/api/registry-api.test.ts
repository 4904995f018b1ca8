import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from '../registry/registry.js';
import type { ApiRole } from '../registry/types.js';
import { createInfluxStore } from '../store/index.js';
import { GatewayStatusBoard } from '../ingest/gateway-status.js';
import { buildApi } from './app.js';

let dir: string;
let registry: Registry;
let app: FastifyInstance;
const tokens = {} as Record<ApiRole, string>;
const pushed: { site: string; gateway: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-api-'));
  registry = Registry.open(path.join(dir, 'registry.db'));
  for (const role of ['admin', 'technician', 'officer', 'viewer'] as const) tokens[role] = registry.issueApiToken(role, role, 'test');
  app = await buildApi({
    registry,
    store: createInfluxStore({ url: 'http://127.0.0.1:9' }), // not reached by these endpoints
    ingest: { stats: () => ({ messages: 0, readings: 0, rejected: 0, storeRetries: 0, connected: true }), status: new GatewayStatusBoard() },
    log: pino({ level: 'silent' }),
    version: 'test',
    mqttUrl: 'mqtts://ioc.example.vn:8883',
    configPublisher: { publish: (site, gateway, body) => { pushed.push({ site, gateway, body }); return Promise.resolve(); } },
    rateLimitPerMinute: 100_000,
  });
});
afterAll(async () => {
  await app.close();
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function call(method: Method, url: string, role: ApiRole | null, payload?: unknown) {
  const res = await app.inject({
    method, url,
    ...(role ? { headers: { authorization: `Bearer ${tokens[role]}` } } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

describe('provisioning through the API', () => {
  it('a technician creates a site, a gateway (password shown once) and a sensor', async () => {
    const site = await call('PUT', '/api/v1/sites/ha-nam-duy-tien', 'technician', { nameVi: 'Duy Tiên', nameEn: 'Duy Tien', district: 'Duy Tiên', lat: 20.63, lon: 105.97 });
    expect(site).toMatchObject({ status: 200, body: { outcome: 'created', site: { id: 'ha-nam-duy-tien', nameVi: 'Duy Tiên', lat: 20.63 } } });
    const again = await call('PUT', '/api/v1/sites/ha-nam-duy-tien', 'technician', { nameVi: 'Duy Tiên', nameEn: 'Duy Tien', district: 'Duy Tiên', lat: 20.63, lon: 105.97 });
    expect(again.body.outcome).toBe('unchanged');

    const gw = await call('POST', '/api/v1/gateways', 'technician', { site: 'ha-nam-duy-tien', id: 'gw-dt-01', name: 'UBND Duy Tiên' });
    expect(gw.status).toBe(201);
    const mqtt = gw.body.mqtt as { url: string; username: string; password: string };
    expect(mqtt).toMatchObject({ url: 'mqtts://ioc.example.vn:8883', username: 'gw-dt-01', clientId: 'gw-dt-01' });
    expect((await registry.verifyMqtt('gw-dt-01', mqtt.password)).ok).toBe(true);

    const listed = await call('GET', '/api/v1/gateways?site=ha-nam-duy-tien', 'viewer');
    expect(JSON.stringify(listed.body)).not.toContain(mqtt.password);
    expect(listed.body.gateways).toEqual([expect.objectContaining({ gateway: 'gw-dt-01', name: 'UBND Duy Tiên', online: false, revoked: false, config: null })]);

    const sensor = await call('PUT', '/api/v1/gateways/gw-dt-01/sensors/pm-01', 'technician', { driver: 'pms5003', metrics: ['pm1', 'pm25', 'pm10'], calibration: { pm25: { gain: 1.08, offset: -0.5 } } });
    expect(sensor).toMatchObject({ status: 200, body: { outcome: 'created', sensor: { gateway: 'gw-dt-01', id: 'pm-01', calibration: { pm25: { gain: 1.08, offset: -0.5 } } } } });
    expect((await call('GET', '/api/v1/sensors?gateway=gw-dt-01', 'officer')).body.sensors).toHaveLength(1);
  });

  it('refuses bad input with a code and the path', async () => {
    const badSite = await call('PUT', '/api/v1/sites/ha-nam-x', 'technician', { lat: 123 });
    expect(badSite).toMatchObject({ status: 400, body: { code: 'IOC_ERR_BAD_REQUEST', path: 'body.lat' } });
    const badId = await call('PUT', '/api/v1/sites/Ha%20Nam', 'technician', {});
    expect(badId).toMatchObject({ status: 400, body: { path: 'params.id' } });
    const badMetric = await call('PUT', '/api/v1/gateways/gw-dt-01/sensors/pm-02', 'technician', { driver: 'pms5003', metrics: ['pm3'] });
    expect(badMetric).toMatchObject({ status: 400, body: { code: 'IOC_ERR_BAD_REQUEST', message: expect.stringContaining('pm3') as unknown } });
    const extra = await call('POST', '/api/v1/gateways', 'technician', { site: 'ha-nam-duy-tien', id: 'gw-x', secret: 'mine' });
    expect(extra.status).toBe(400);
    const dup = await call('POST', '/api/v1/gateways', 'technician', { site: 'ha-nam-duy-tien', id: 'gw-dt-01' });
    expect(dup).toMatchObject({ status: 409, body: { code: 'IOC_ERR_EXISTS' } });
    const noSite = await call('POST', '/api/v1/gateways', 'technician', { site: 'nowhere', id: 'gw-y' });
    expect(noSite).toMatchObject({ status: 404, body: { code: 'IOC_ERR_NOT_FOUND' } });
    const garbage = await app.inject({ method: 'PUT', url: '/api/v1/sites/ha-nam-y', headers: { authorization: `Bearer ${tokens.technician}`, 'content-type': 'application/json' }, payload: '{"nameVi": "x",' });
    expect(garbage.statusCode).toBe(400);
  });

  it('pushes a config retained to the gateway and shows its version', async () => {
    const res = await call('PUT', '/api/v1/gateways/gw-dt-01/config', 'technician', { inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01' }] });
    expect(res.status).toBe(202);
    expect(pushed.at(-1)).toEqual({ site: 'ha-nam-duy-tien', gateway: 'gw-dt-01', body: { version: 1, inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01' }] } });
    expect(res.body.config).toMatchObject({ version: 1, acked: false });
    expect(registry.recordConfigAck('gw-dt-01', 1, false, 'inputs[0].port: no such device')).toBe(true);
    const after = await call('GET', '/api/v1/gateways/gw-dt-01', 'viewer');
    expect(after.body.config).toMatchObject({ version: 1, acked: true, ok: false, error: 'inputs[0].port: no such device' });
  });

  it('rotation returns a new password; revocation makes the broker refuse it', async () => {
    const rotated = await call('POST', '/api/v1/gateways/gw-dt-01/rotate', 'technician');
    const password = (rotated.body.mqtt as { password: string }).password;
    expect((await registry.verifyMqtt('gw-dt-01', password)).ok).toBe(true);
    expect((await call('POST', '/api/v1/gateways/gw-dt-01/revoke', 'technician')).status).toBe(403);
    expect((await call('POST', '/api/v1/gateways/gw-dt-01/revoke', 'admin')).body.revoked).toBe(true);
    expect(await registry.verifyMqtt('gw-dt-01', password)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('admins issue, list and revoke tokens; the list never shows a token', async () => {
    const issued = await call('POST', '/api/v1/tokens', 'admin', { name: 'so-tnmt', role: 'officer' });
    expect(issued.status).toBe(201);
    const token = issued.body.token as string;
    const list = await call('GET', '/api/v1/tokens', 'admin');
    expect(JSON.stringify(list.body)).not.toContain(token);
    const entry = (list.body.tokens as { id: string; name: string }[]).find((t) => t.name === 'so-tnmt')!;
    expect((await call('DELETE', `/api/v1/tokens/${entry.id}`, 'admin')).status).toBe(204);
    expect(registry.verifyApiToken(token)).toBeUndefined();
    const audit = await call('GET', '/api/v1/audit?limit=3', 'admin');
    expect((audit.body.entries as { action: string; actor: string }[])[0]).toMatchObject({ action: 'token.revoke', actor: 'api:admin' });
  });
});

describe('CSV import through the API', () => {
  const csv = 'site,gateway,sensor,driver,port,metrics\nha-nam-binh-luc,gw-bl-01,pm-01,pms5003,/dev/ttyUSB0,pm25\n';
  const post = (body: string, role: ApiRole, query = '') =>
    app.inject({ method: 'POST', url: `/api/v1/import/stations${query}`, headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'text/csv' }, payload: body });

  it('imports a file and returns each new gateway secret once', async () => {
    const dry = await post(csv, 'technician', '?dryRun=true');
    expect(dry.statusCode).toBe(200);
    expect(registry.getGateway('gw-bl-01')).toBeUndefined();
    const res = await post(csv, 'technician');
    const body = JSON.parse(res.body) as { newGateways: { id: string; secret: string }[] };
    expect(body.newGateways[0]?.id).toBe('gw-bl-01');
    expect((await registry.verifyMqtt('gw-bl-01', body.newGateways[0]!.secret)).ok).toBe(true);
    expect((await post(csv, 'viewer')).statusCode).toBe(403);
  });

  it('answers 422 with the rows at fault', async () => {
    const res = await post('site,gateway\nHN,gw\n', 'technician');
    expect(res.statusCode).toBe(422);
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ line: 2, column: 'site' }] });
  });
});

describe('roles', () => {
  // [method, url, body, roles admitted besides admin]
  const endpoints: [Method, string, unknown, ApiRole[]][] = [
    ['GET', '/api/v1/sites', undefined, ['technician', 'officer', 'viewer']],
    ['PUT', '/api/v1/sites/role-test', {}, ['technician']],
    ['GET', '/api/v1/gateways', undefined, ['technician', 'officer', 'viewer']],
    ['POST', '/api/v1/gateways', { site: 'nowhere', id: 'gw-role' }, ['technician']],
    ['POST', '/api/v1/gateways/nope/rotate', undefined, ['technician']],
    ['POST', '/api/v1/gateways/nope/revoke', undefined, []],
    ['DELETE', '/api/v1/gateways/nope', undefined, []],
    ['PUT', '/api/v1/gateways/nope/config', { inputs: [{ driver: 'pms5003', id: 'x' }] }, ['technician']],
    ['GET', '/api/v1/sensors', undefined, ['technician', 'officer', 'viewer']],
    ['PUT', '/api/v1/gateways/nope/sensors/s', { driver: 'pms5003' }, ['technician']],
    ['DELETE', '/api/v1/gateways/nope/sensors/s', undefined, []],
    ['GET', '/api/v1/cameras', undefined, ['technician', 'officer', 'viewer']],
    ['PUT', '/api/v1/cameras/cam-1', { site: 'nowhere' }, ['technician']],
    ['DELETE', '/api/v1/cameras/cam-1', undefined, []],
    ['DELETE', '/api/v1/sites/nowhere', undefined, []],
    ['GET', '/api/v1/tokens', undefined, []],
    ['POST', '/api/v1/tokens', { name: 'x', role: 'viewer' }, []],
    ['GET', '/api/v1/audit', undefined, []],
    ['GET', '/api/v1/telemetry?sensor=pm-01', undefined, ['technician', 'officer', 'viewer']],
  ];

  it.each(endpoints)('%s %s: 401 without a token, 403 for other roles, admitted for its roles', async (method, url, body, roles) => {
    expect((await call(method, url, null, body)).status).toBe(401);
    for (const role of ['technician', 'officer', 'viewer'] as const) {
      const { status } = await call(method, url, role, body);
      if (roles.includes(role)) expect(status, `${role}`).not.toBe(403);
      else expect(status, `${role}`).toBe(403);
    }
    expect([401, 403]).not.toContain((await call(method, url, 'admin', body)).status);
  });
});
