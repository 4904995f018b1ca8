import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Registry } from './registry.js';
import { hashSecret, verifySecret } from './secrets.js';

let dir: string;
let registry: Registry;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-registry-'));
  registry = Registry.open(path.join(dir, 'registry.db'));
});
afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('verifies the secret it hashed and nothing else', async () => {
    const stored = await hashSecret('correct horse');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored).not.toContain('correct horse');
    expect(await verifySecret('correct horse', stored)).toBe(true);
    expect(await verifySecret('correct hors', stored)).toBe(false);
  });

  it.each(['', 'scrypt$', 'md5$x$y$z$a$b', 'scrypt$0$8$1$AA$AA', 'scrypt$16384$8$1$AA$short'])('rejects the malformed hash %j', async (h) => {
    expect(await verifySecret('x', h)).toBe(false);
  });
});

describe('gateways', () => {
  it('issues a secret once, stores only its hash, and admits it over MQTT', async () => {
    registry.ensureSite('ha-nam', 'test');
    const { secret, gateway } = await registry.createGateway('ha-nam', 'gw-01', 'test');
    expect(gateway).toMatchObject({ id: 'gw-01', site: 'ha-nam', revokedAt: null });
    registry.close();
    const raw = new Database(path.join(dir, 'registry.db'), { readonly: true });
    const dump = JSON.stringify(raw.prepare('SELECT * FROM gateways').all());
    raw.close();
    expect(dump).not.toContain(secret);
    registry = Registry.open(path.join(dir, 'registry.db'));
    expect(await registry.verifyMqtt('gw-01', secret)).toEqual({ ok: true, principal: { kind: 'gateway', site: 'ha-nam', gateway: 'gw-01' } });
    expect(await registry.verifyMqtt('gw-01', 'wrong')).toEqual({ ok: false, reason: 'bad_secret' });
    expect(await registry.verifyMqtt('gw-02', secret)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a second gateway with the same id and an unknown site', async () => {
    registry.ensureSite('ha-nam', 'test');
    await registry.createGateway('ha-nam', 'gw-01', 'test');
    await expect(registry.createGateway('ha-nam', 'gw-01', 'test')).rejects.toMatchObject({ code: 'IOC_ERR_EXISTS' });
    await expect(registry.createGateway('nowhere', 'gw-02', 'test')).rejects.toMatchObject({ code: 'IOC_ERR_NOT_FOUND' });
  });

  it.each(['GW-01', '', '-gw', 'gw/01', 'gw+', '#', 'a'.repeat(65), 'gw 01', '..'])('refuses the id %j', async (id) => {
    expect(() => registry.ensureSite(id, 'test')).toThrow(expect.objectContaining({ code: 'IOC_ERR_INVALID_ID' }));
    registry.ensureSite('ha-nam', 'test');
    await expect(registry.createGateway('ha-nam', id, 'test')).rejects.toMatchObject({ code: 'IOC_ERR_INVALID_ID' });
  });

  it('rotation invalidates the old secret; revocation refuses the new one', async () => {
    registry.ensureSite('ha-nam', 'test');
    const first = await registry.createGateway('ha-nam', 'gw-01', 'test');
    const second = await registry.rotateGatewaySecret('gw-01', 'test');
    expect(second.secret).not.toBe(first.secret);
    expect(await registry.verifyMqtt('gw-01', first.secret)).toEqual({ ok: false, reason: 'bad_secret' });
    expect((await registry.verifyMqtt('gw-01', second.secret)).ok).toBe(true);
    registry.revokeGateway('gw-01', 'test');
    expect(await registry.verifyMqtt('gw-01', second.secret)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('writes every change to the audit log with its actor', async () => {
    registry.ensureSite('ha-nam', 'alice');
    await registry.createGateway('ha-nam', 'gw-01', 'bob');
    registry.revokeGateway('gw-01', 'carol');
    expect(registry.auditLog().map((a) => `${a.actor} ${a.action} ${a.subject}`)).toEqual([
      'carol gateway.revoke gw-01',
      'bob gateway.create gw-01',
      'alice site.create ha-nam',
    ]);
  });
});

describe('service accounts and API tokens', () => {
  it('a service account cannot take a gateway id', async () => {
    registry.ensureSite('ha-nam', 'test');
    await registry.createGateway('ha-nam', 'gw-01', 'test');
    await expect(registry.issueServiceSecret('gw-01', 'ingest', 'test')).rejects.toMatchObject({ code: 'IOC_ERR_EXISTS' });
    const secret = await registry.issueServiceSecret('svc-ingest', 'ingest', 'test');
    expect(await registry.verifyMqtt('svc-ingest', secret)).toEqual({ ok: true, principal: { kind: 'service', name: 'svc-ingest', role: 'ingest' } });
  });

  it('verifies an issued API token and nothing else', () => {
    const token = registry.issueApiToken('officer', 'viewer', 'test');
    expect(registry.verifyApiToken(token)).toEqual({ name: 'officer', role: 'viewer' });
    expect(registry.verifyApiToken(`${token}x`)).toBeUndefined();
    expect(registry.verifyApiToken('')).toBeUndefined();
  });
});

describe('migrations', () => {
  it('reopening keeps the data and the schema version', async () => {
    registry.ensureSite('ha-nam', 'test');
    await registry.createGateway('ha-nam', 'gw-01', 'test');
    registry.close();
    registry = Registry.open(path.join(dir, 'registry.db'));
    expect(registry.getGateway('gw-01')?.site).toBe('ha-nam');
  });

  it('refuses a database from a newer version', () => {
    registry.close();
    const raw = new Database(path.join(dir, 'registry.db'));
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => Registry.open(path.join(dir, 'registry.db'))).toThrow(/newer than this software/);
    registry = Registry.open(path.join(dir, 'other.db'));
  });
});
