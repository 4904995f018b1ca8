import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { loadScenarioFile, parseScenario, parseScenarioYaml } from './load.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

type Doc = Record<string, unknown>;

/** The minimal scenario as a plain object, to break in one place per test. */
async function minimal(): Promise<Doc> {
  const { readFile } = await import('node:fs/promises');
  return parseYaml(await readFile(`${SCENARIOS}minimal.yaml`, 'utf8')) as Doc;
}

const DELETE = Symbol('delete');

/** Sets (or deletes) the value at a dotted path (`sites.0.lat`) of a parsed document. */
function edit(doc: Doc, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, doc);
  if (value === DELETE) delete parent[last];
  else parent[last] = value;
}

function errorOf(fn: () => unknown): { code?: string; path?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; path?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('loading the shipped scenarios', () => {
  it('loads ha-nam.yaml: six districts, their gateways and a fault of every device-level kind', async () => {
    const s = await loadScenarioFile(`${SCENARIOS}ha-nam.yaml`);
    expect(new Set(s.spec.sites.map((site) => site.district))).toEqual(
      new Set(['Phủ Lý', 'Duy Tiên', 'Kim Bảng', 'Thanh Liêm', 'Bình Lục', 'Lý Nhân']),
    );
    for (const site of s.spec.sites) {
      expect(site.lat).toBeGreaterThanOrEqual(20.45);
      expect(site.lat).toBeLessThanOrEqual(20.65);
      expect(site.lon).toBeGreaterThanOrEqual(105.85);
      expect(site.lon).toBeLessThanOrEqual(106.15);
    }
    const kinds = new Set(s.sensors.map((x) => x.kind));
    expect(kinds).toEqual(new Set(['pms5003', 'sds011', 'modbus', 'opcua-station', 'camera']));
    expect(new Set(s.spec.faults.map((f) => f.kind))).toEqual(
      new Set(['network-loss', 'dropout', 'unplugged', 'garbage', 'bad-checksum', 'stuck', 'spike', 'camera-down']),
    );
    // `ioc up` prints and tests this sensor.
    expect(s.sensors.some((x) => x.key === 'gw-phu-ly-01/pm-01' && x.site.id === 'ha-nam-phu-ly' && x.kind === 'pms5003')).toBe(true);
    expect(Object.isFrozen(s.spec.sites[0])).toBe(true);
  });

  it('applies defaults: speed 1, UTC+7, no episodes or faults', () => {
    const s = parseScenario({
      id: 'x',
      name: { vi: 'x', en: 'x' },
      seed: 1,
      profiles: { p: { pm25: { base: 10 }, pm10: { ratioOf: 'pm25', ratio: 1.5 } } },
      sites: [{ id: 's', name: { vi: 's', en: 's' }, district: 'd', lat: 20.5, lon: 105.9, gateways: [{ id: 'g', sensors: [{ id: 'a', device: 'sds011', profile: 'p' }] }] }],
    }, 'inline');
    expect(s.spec).toMatchObject({ speed: 1, utcOffsetHours: 7, episodes: [], faults: [] });
  });
});

describe('scenario errors name the path of the problem', () => {
  const cases: [string, string, unknown, string, RegExp][] = [
    ['an unknown profile', 'sites.0.gateways.1.sensors.0.profile', 'nope', 'sites[0].gateways[1].sensors[0].profile', /no profile "nope" \(profiles: city-dust\)/],
    ['a profile lacking what the device measures', 'profiles.city-dust.pm1', DELETE, 'sites[0].gateways[0].sensors[0].profile', /lacks pm1 \(a pms5003 reports pm1, pm25, pm10\)/],
    ['an unknown device kind', 'sites.0.gateways.0.sensors.1.device', 'sds012', 'sites[0].gateways[0].sensors[1].device', /must be one of "pms5003", "sds011", "modbus", "opcua-station", "camera"/],
    ['a latitude out of range', 'sites.0.lat', 91, 'sites[0].lat', /<= 90/],
    ['a missing district', 'sites.0.district', DELETE, 'sites[0].district', /is required/],
    ['a typo in a field name', 'sites.0.gateways.0.sensors.0.proflie', 'x', 'sites[0].gateways[0].sensors[0].proflie', /unknown field/],
    ['an id with capitals', 'sites.0.gateways.0.id', 'GW-A', 'sites[0].gateways[0].id', /"GW-A" is not a valid id/],
    ['a duplicate gateway', 'sites.0.gateways.1.id', 'gw-a', 'sites[0].gateways[1].id', /listed twice/],
    ['a duplicate sensor', 'sites.0.gateways.0.sensors.1.id', 'pm-01', 'sites[0].gateways[0].sensors[1].id', /listed twice in gateway gw-a/],
    ['a bad duration', 'faults.0.when.for', '5 minutes', 'faults[0].when.for', /"5 minutes" has the wrong format/],
    ['a fault on a missing sensor', 'faults.1.sensor', 'pm-09', 'faults[1].sensor', /no sensor "pm-09" in gateway gw-a/],
    ['a fault that does not fit the device', 'faults.5.sensor', 'pm-01', 'faults[5].kind', /camera-down does not apply to a pms5003 device/],
    ['a network loss with a sensor', 'faults.6.sensor', 'pm-01', 'faults[6].sensor', /concerns a whole gateway/],
    ['a window without a length', 'faults.0.when.for', DELETE, 'faults[0].when.for', /is required/],
    ['two anchors', 'faults.0.when.at', '2025-12-15T06:00:00+07:00', 'faults[0].when.at', /use one of after, at, daily/],
    ['a period shorter than its window', 'faults.4.when.every', '1m', 'faults[4].when.for', /shorter than every/],
    ['a ratio of a missing metric', 'profiles.city-dust.pm10.ratioOf', 'tsp', 'profiles.city-dust.pm10.ratioOf', /no metric "tsp"/],
    ['two sources for one metric', 'profiles.city-dust.pm25.base', 40, 'profiles.city-dust.pm25', /exactly one of base, monthly, ratioOf/],
    ['a metric outside the catalogue', 'profiles.city-dust.pm2_5', { base: 1 }, 'profiles.city-dust.pm2_5', /not a metric a scenario can simulate/],
    ['eleven months', 'profiles.city-dust.pm25.monthly', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'profiles.city-dust.pm25.monthly', /12/],
    ['an episode on an unknown site', 'episodes.0.sites', ['nowhere'], 'episodes[0].sites[0]', /no site "nowhere"/],
    ['a camera with a profile', 'sites.0.gateways.1.sensors.1.profile', 'city-dust', 'sites[0].gateways[1].sensors[1].profile', /a camera has no value profile/],
    ['a modbus device without a register map', 'sites.0.gateways.0.sensors.1', { id: 'm', device: 'modbus', profile: 'city-dust' }, 'sites[0].gateways[0].sensors[1].registerMap', /is required/],
  ];
  it.each(cases)('%s', async (_name, at, value, path, message) => {
    const doc = await minimal();
    edit(doc, at, value);
    const err = errorOf(() => parseScenario(doc));
    expect(err.code).toBe('IOC_ERR_SCENARIO');
    expect(err.path).toBe(path);
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: `));
    expect(err.message).toMatch(message);
  });

  it('names the line and column of a YAML syntax error', () => {
    const err = errorOf(() => parseScenarioYaml('id: x\nsites: [\n  - a: 1\n', 'broken.yaml'));
    expect(err.code).toBe('IOC_ERR_SCENARIO_YAML');
    expect(err.message).toMatch(/broken\.yaml is not valid YAML: .*line \d+, column \d+/s);
  });

  it('refuses a duplicate key rather than keeping the last one', async () => {
    const text = stringify(await minimal()).replace('seed: 7', 'seed: 7\nseed: 8');
    expect(errorOf(() => parseScenarioYaml(text)).code).toBe('IOC_ERR_SCENARIO_YAML');
  });
});
