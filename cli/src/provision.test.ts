import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '@ioc/cloud';
import { loadAgentConfig } from '@ioc/edge';
import { main } from './main.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'ioc-provision-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function ioc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

interface Provisioned {
  site: string;
  gateway: string;
  mqtt: { url: string; username: string; clientId: string; password: string };
  edgeConfig: { mqtt: { password: string } };
}

describe('ioc provision gateway', () => {
  it('prints credentials that the registry admits and an edge config that loads', async () => {
    const file = path.join(home, 'gw-07.json');
    const res = await ioc('provision', 'gateway', '--site', 'ha-nam', '--id', 'gw-07', '--json', '--home', home, '--out', file, '--mqtt-url', 'mqtts://ioc.hanam.gov.vn:8883');
    expect(res.code).toBe(0);
    const printed = JSON.parse(res.out) as Provisioned;
    expect(printed.mqtt).toMatchObject({ url: 'mqtts://ioc.hanam.gov.vn:8883', username: 'gw-07', clientId: 'gw-07' });
    expect(printed.mqtt.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(printed.edgeConfig.mqtt.password).toBe(printed.mqtt.password);

    const config = await loadAgentConfig(file);
    expect(config.gateway).toEqual({ site: 'ha-nam', id: 'gw-07' });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const registry = Registry.open(path.join(home, 'registry.db'));
    try {
      expect(await registry.verifyMqtt('gw-07', printed.mqtt.password)).toEqual({ ok: true, principal: { kind: 'gateway', site: 'ha-nam', gateway: 'gw-07' } });
    } finally {
      registry.close();
    }
  });

  it('refuses to provision the same gateway twice, and --rotate issues a new secret', async () => {
    const first = JSON.parse((await ioc('provision', 'gateway', '--site', 'ha-nam', '--id', 'gw-07', '--json', '--home', home)).out) as Provisioned;
    const again = await ioc('provision', 'gateway', '--site', 'ha-nam', '--id', 'gw-07', '--json', '--home', home);
    expect(again.code).toBe(1);
    expect(again.err).toContain('[IOC_ERR_EXISTS]');
    const rotated = await ioc('provision', 'gateway', '--site', 'ha-nam', '--id', 'gw-07', '--json', '--rotate', '--home', home);
    expect(rotated.code).toBe(0);
    expect((JSON.parse(rotated.out) as Provisioned).mqtt.password).not.toBe(first.mqtt.password);
  });

  it.each([
    [['--site', 'ha-nam', '--id', 'GW 7'], 1, 'IOC_ERR_INVALID_ID'],
    [['--site', 'ha-nam/#', '--id', 'gw-7'], 1, 'IOC_ERR_INVALID_ID'],
    [['--id', 'gw-7'], 2, '--site is required'],
    [['--site', 'ha-nam'], 2, '--id is required'],
    [['--site', 'ha-nam', '--id', 'gw-7', '--bogus'], 2, "Unknown option '--bogus'"],
  ])('refuses %j (exit %i)', async (args, code, message) => {
    const res = await ioc('provision', 'gateway', ...args, '--home', home);
    expect(res.code).toBe(code);
    expect(res.err).toContain(message);
    expect(res.out).toBe('');
  });
});

describe('ioc', () => {
  it('lists only commands that exist, and refuses unknown ones', async () => {
    const help = await ioc('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/up .*\n.*provision .*\n.*edge /);
    const unknown = await ioc('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
  });
});
