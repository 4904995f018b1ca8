import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../registry.js';
import { importStations } from './stations.js';

const GOOD = `site,site_name_vi,site_name_en,district,lat,lon,gateway,gateway_name,sensor,driver,port,metrics
ha-nam-phu-ly,"Phủ Lý, Hà Nam",Phu Ly,Phủ Lý,20.5453,105.9122,gw-pl-01,UBND Phủ Lý,pm-01,pms5003,/dev/ttyUSB0,pm1;pm25;pm10
ha-nam-phu-ly,"Phủ Lý, Hà Nam",Phu Ly,Phủ Lý,20.5453,105.9122,gw-pl-01,UBND Phủ Lý,pm-02,sds011,/dev/ttyUSB1,pm25;pm10
ha-nam-kim-bang,Kim Bảng,Kim Bang,Kim Bảng,20.5700,105.8600,gw-kb-01,,gas-01,modbus-rtu,/dev/ttyS1,co;no2;so2;o3
ha-nam-kim-bang,Kim Bảng,Kim Bang,Kim Bảng,20.5700,105.8600,gw-kb-02,,,,,
`;

let dir: string;
let registry: Registry;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-import-'));
  registry = Registry.open(path.join(dir, 'registry.db'));
});
afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('importStations', () => {
  it('provisions sites, gateways (with secrets) and sensors from a district file', async () => {
    const progress: number[] = [];
    const report = await importStations(registry, GOOD, { dryRun: false, actor: 'test', onProgress: (d) => progress.push(d) });
    expect(report).toMatchObject({ rows: 4, errors: [], sites: { created: 2 }, gateways: { created: 3, existing: 0 }, sensors: { created: 3 } });
    expect(progress).toEqual([1, 2, 3]);
    expect(registry.getSite('ha-nam-phu-ly')).toMatchObject({ nameVi: 'Phủ Lý, Hà Nam', district: 'Phủ Lý', lat: 20.5453 });
    const pl = report.newGateways.find((g) => g.id === 'gw-pl-01')!;
    expect(pl.sensors).toEqual([
      { id: 'pm-01', driver: 'pms5003', port: '/dev/ttyUSB0', metrics: ['pm1', 'pm25', 'pm10'] },
      { id: 'pm-02', driver: 'sds011', port: '/dev/ttyUSB1', metrics: ['pm25', 'pm10'] },
    ]);
    expect((await registry.verifyMqtt('gw-pl-01', pl.secret!)).ok).toBe(true);
    expect(registry.getGateway('gw-pl-01')?.name).toBe('UBND Phủ Lý');
  });

  it('is idempotent: the same file again changes nothing and issues no secret', async () => {
    await importStations(registry, GOOD, { dryRun: false, actor: 'test' });
    const auditBefore = registry.auditLog(1000).length;
    const again = await importStations(registry, GOOD, { dryRun: false, actor: 'test' });
    expect(again).toMatchObject({ errors: [], sites: { created: 0, updated: 0, unchanged: 2 }, gateways: { created: 0, existing: 3 }, sensors: { unchanged: 3 }, newGateways: [] });
    expect(registry.auditLog(1000).length).toBe(auditBefore);
  });

  it('a dry run reports what would happen and writes nothing', async () => {
    const report = await importStations(registry, GOOD, { dryRun: true, actor: 'test' });
    expect(report).toMatchObject({ dryRun: true, errors: [], sites: { created: 2 }, gateways: { created: 3 }, sensors: { created: 3 } });
    expect(report.newGateways.every((g) => g.secret === undefined)).toBe(true);
    expect(registry.listSites()).toEqual([]);
    expect(registry.auditLog()).toEqual([]);
  });

  it('reports every bad row with its line and column, and writes nothing', async () => {
    const bad = `${GOOD}ha-nam-ly-nhan,Lý Nhân,,,91,105.9,gw-ln-01,,pm-01,pms9000,,pm25
Ha-Nam,,,,,,gw-x,,,,,
ha-nam-phu-ly,Phủ Lý,,,,,gw-pl-02,,pm-01,pms5003,,pm3
ha-nam-kim-bang,,,,,,gw-pl-01,,,,,
ha-nam-binh-luc,,,,,,gw-bl-01,,pm-09,,,
too,few
`;
    const report = await importStations(registry, bad, { dryRun: false, actor: 'test' });
    expect(report.errors).toEqual([
      { line: 6, column: 'lat', message: '"91" is not a number between -90 and 90' },
      { line: 6, column: 'driver', message: '"pms9000" is not a driver; known: pms5003, sds011, modbus-rtu, opcua, camera' },
      { line: 7, column: 'site', message: '"Ha-Nam" is not a valid id (1–64 of a-z 0-9 _ -, starting with a letter or digit)' },
      { line: 8, column: 'nameVi', message: 'site ha-nam-phu-ly was given "Phủ Lý, Hà Nam" on an earlier row, "Phủ Lý" here' },
      { line: 8, column: 'metrics', message: 'not in the metric catalogue: pm3' },
      { line: 9, column: 'site', message: 'gateway gw-pl-01 is in site ha-nam-phu-ly on line 2' },
      { line: 10, column: 'driver', message: '"" is not a driver; known: pms5003, sds011, modbus-rtu, opcua, camera' },
      { line: 11, column: null, message: '2 fields, the header has 12' },
    ]);
    expect(registry.listSites()).toEqual([]);
  });

  it.each([
    ['', 'the file is empty: expected a header line'],
    ['site,gateway,colour\n', 'unknown column; known: site, gateway, site_name_vi, site_name_en, district, lat, lon, gateway_name, sensor, driver, port, metrics, description'],
    ['site\nx\n', 'required column is missing'],
    ['site,gateway\n"a,b\n', 'a quoted field is never closed'],
  ])('refuses the malformed file %j', async (text, message) => {
    const report = await importStations(registry, text, { dryRun: false, actor: 'test' });
    expect(report.errors[0]?.message).toBe(message);
    expect(registry.listSites()).toEqual([]);
  });

  it('refuses a gateway that already belongs to another site', async () => {
    registry.ensureSite('ha-nam-duy-tien', 'test');
    await registry.createGateway('ha-nam-duy-tien', 'gw-pl-01', 'test');
    const report = await importStations(registry, GOOD, { dryRun: false, actor: 'test' });
    expect(report.errors).toContainEqual({ line: 2, column: 'site', message: 'gateway gw-pl-01 is already provisioned in site ha-nam-duy-tien' });
    expect(registry.getSite('ha-nam-phu-ly')).toBeUndefined();
  });
});
