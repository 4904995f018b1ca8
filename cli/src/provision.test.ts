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

describe('ioc provision site, sensor, camera', () => {
  it('creates and updates registry entries idempotently', async () => {
    expect((await ioc('provision', 'site', '--id', 'ha-nam-ly-nhan', '--name-vi', 'Lý Nhân', '--lat', '20.55', '--lon', '106.08', '--home', home)).out).toBe('site ha-nam-ly-nhan: created\n');
    expect((await ioc('provision', 'site', '--id', 'ha-nam-ly-nhan', '--name-vi', 'Lý Nhân', '--home', home)).out).toBe('site ha-nam-ly-nhan: unchanged\n');
    await ioc('provision', 'gateway', '--site', 'ha-nam-ly-nhan', '--id', 'gw-ln-01', '--home', home);
    expect((await ioc('provision', 'sensor', '--gateway', 'gw-ln-01', '--id', 'pm-01', '--driver', 'pms5003', '--metrics', 'pm25,pm10', '--home', home)).out).toBe('sensor gw-ln-01/pm-01: created\n');
    const cal = await ioc('provision', 'sensor', '--gateway', 'gw-ln-01', '--id', 'pm-01', '--driver', 'pms5003', '--metric', 'pm25', '--gain', '1.1', '--offset=-2', '--json', '--home', home);
    expect(JSON.parse(cal.out)).toMatchObject({ outcome: 'updated', sensor: { metrics: ['pm25', 'pm10'], calibration: { pm25: { gain: 1.1, offset: -2 } } } });
    expect((await ioc('provision', 'camera', '--site', 'ha-nam-ly-nhan', '--id', 'cam-ql38-01', '--probe', 'rtsp', '--address', '10.0.0.5:554', '--home', home)).out).toBe('camera cam-ql38-01: created\n');
  });

  it.each([
    [['site', '--id', 'x', '--lat', 'north'], 2, '--lat: "north" is not a number'],
    [['site', '--id', 'x', '--lat', '95'], 1, 'lat 95 is outside'],
    [['sensor', '--gateway', 'nope', '--id', 's', '--driver', 'pms5003'], 1, 'gateway nope does not exist'],
    [['sensor', '--gateway', 'g', '--id', 's', '--driver', 'd', '--gain', '2'], 2, '--gain/--offset need --metric'],
    [['camera', '--site', 'x', '--id', 'c', '--probe', 'ping'], 2, '--probe: "ping" is not one of'],
    [['import'], 2, 'the CSV file is required'],
    [['nothing'], 2, 'ioc provision nothing: unknown'],
  ])('refuses %j', async (args, code, message) => {
    const res = await ioc('provision', ...args, '--home', home);
    expect(res.code).toBe(code);
    expect(res.err).toContain(message);
  });
});

describe('ioc provision import', () => {
  const CSV = `site,site_name_vi,district,lat,lon,gateway,sensor,driver,port,metrics
ha-nam-thanh-liem,Thanh Liêm,Thanh Liêm,20.47,105.92,gw-tl-01,pm-01,pms5003,/dev/ttyUSB0,pm1;pm25;pm10
ha-nam-thanh-liem,Thanh Liêm,Thanh Liêm,20.47,105.92,gw-tl-01,wx-01,modbus-rtu,/dev/ttyS1,temperature;humidity
`;

  it('imports all rows, writes a loadable edge config per new gateway, and changes nothing the second time', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = path.join(home, 'stations.csv');
    writeFileSync(file, CSV);
    const outDir = path.join(home, 'configs');
    const dry = await ioc('provision', 'import', file, '--dry-run', '--out', outDir, '--home', home);
    expect(dry.out).toContain('Dry run — nothing written');
    expect(dry.out).toContain('gateways  1 created');

    const res = await ioc('provision', 'import', file, '--out', outDir, '--home', home);
    expect(res.code).toBe(0);
    expect(res.out).toContain('add by hand: wx-01 (modbus-rtu)');
    const config = await loadAgentConfig(path.join(outDir, 'gw-tl-01.json'));
    expect(config.inputs).toEqual([expect.objectContaining({ driver: 'pms5003' })]);
    const registry = Registry.open(path.join(home, 'registry.db'));
    try {
      expect((await registry.verifyMqtt('gw-tl-01', config.mqtt.password!)).ok).toBe(true);
    } finally {
      registry.close();
    }
    const again = await ioc('provision', 'import', file, '--out', outDir, '--json', '--home', home);
    expect(JSON.parse(again.out)).toMatchObject({ ok: true, gateways: { created: 0, existing: 1 }, sensors: { unchanged: 2 }, edgeConfigs: [] });
  });

  it('reports bad rows by line and column and imports nothing', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = path.join(home, 'bad.csv');
    writeFileSync(file, `${CSV}ha-nam-binh-luc,,,,,gw-bl-01,pm-01,pms5003,,pm2.5\n`);
    const res = await ioc('provision', 'import', file, '--home', home);
    expect(res.code).toBe(1);
    expect(res.out).toContain('line 4, column metrics: not in the metric catalogue: pm2.5');
    expect(res.out).toContain('nothing was imported');
  });
});
