import { readFile } from 'node:fs/promises';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';
import { SCENARIO_ERRORS, scenarioError } from './errors.js';
import { requiredMetrics, SCENARIO_METRICS, SERIAL_KINDS } from './metrics.js';
import { ScenarioSchema, type FaultSpec, type MetricProfile, type ScenarioSpec, type When } from './schema.js';
import { flattenSensors, type Scenario } from './scenario.js';

const validator = Compile(ScenarioSchema);
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const KNOWN_METRICS: ReadonlySet<string> = new Set(SCENARIO_METRICS);

/** Reads, parses and validates a scenario file (YAML). */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw scenarioError('', `cannot read ${file}: ${(err as Error).message}`, SCENARIO_ERRORS.yaml);
  }
  return parseScenarioYaml(text, file);
}

/** Parses YAML text (errors name the line and column) and validates it as a scenario. */
export function parseScenarioYaml(text: string, source = '<inline>'): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw scenarioError('', `${source} is not valid YAML: ${(err as Error).message}`, SCENARIO_ERRORS.yaml);
  }
  return parseScenario(raw, source);
}

/**
 * Validates a parsed scenario: the schema first (defaults applied), then what refers to what. Throws a
 * ScenarioError (`IOC_ERR_SCENARIO`) naming the path of the first problem, e.g.
 * `sites[2].gateways[0].sensors[1].profile: no profile "urbn" (profiles: urban, rural)`. The result is frozen.
 */
export function parseScenario(raw: unknown, source = '<inline>'): Scenario {
  const withDefaults: unknown = validator.Default(structuredClone(raw));
  const errors = validator.Errors(withDefaults);
  if (errors.length > 0) throw schemaError(errors, withDefaults);
  const spec = withDefaults as ScenarioSpec;
  checkScenario(spec);
  return deepFreeze({ spec, source, sensors: flattenSensors(spec) });
}

type SchemaErrors = ReturnType<typeof validator.Errors>;

/** The first schema error, as `path: message`; enums list their allowed values. */
function schemaError(errors: SchemaErrors, doc: unknown): Error {
  const first = errors[0]!;
  const path = toPath(first.instancePath);
  if (first.keyword === 'required') {
    const field = (first.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '';
    return scenarioError(joinPath(path, field), 'is required');
  }
  if (first.keyword === 'boolean' || first.keyword === 'additionalProperties') {
    const extra = first.keyword === 'additionalProperties' ? (first.params as { additionalProperties?: string[] }).additionalProperties?.[0] : undefined;
    return scenarioError(extra ? joinPath(path, extra) : path, 'unknown field');
  }
  if (first.keyword === 'enum') {
    const allowed = (first.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return scenarioError(path, `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (first.keyword === 'pattern') {
    return scenarioError(path, `${JSON.stringify(valueAt(doc, first.instancePath))} ${patternHint(first.schemaPath)}`);
  }
  return scenarioError(path, first.message);
}

function valueAt(doc: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, seg) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined), doc);
}

function patternHint(schemaPath: string): string {
  if (/\/(id|gateway|sensor|profile)$|\/sites\/items$/.test(schemaPath)) {
    return 'is not a valid id (1–64 of a-z 0-9 _ -, starting with a letter or digit)';
  }
  return 'has the wrong format (durations: 20m, 1h30m; times: HH:MM; windows: HH:MM-HH:MM; instants: 2025-12-15T06:00:00+07:00)';
}

/** `/sites/2/gateways/0/id` → `sites[2].gateways[0].id` */
function toPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('')
    .replace(/^\./, '');
}

function joinPath(path: string, field: string): string {
  return path && field ? `${path}.${field}` : path || field;
}

function checkScenario(spec: ScenarioSpec): void {
  if (spec.start !== undefined && !Number.isFinite(Date.parse(spec.start))) throw scenarioError('start', 'is not a valid date');
  for (const [name, profile] of Object.entries(spec.profiles)) checkProfile(name, profile);
  checkSites(spec);
  spec.episodes.forEach((episode, i) => {
    const path = `episodes[${i}]`;
    episode.metrics.forEach((m, j) => {
      if (!KNOWN_METRICS.has(m)) throw scenarioError(`${path}.metrics[${j}]`, `${JSON.stringify(m)} is not a metric a scenario can simulate`);
    });
    episode.sites?.forEach((s, j) => {
      if (!spec.sites.some((site) => site.id === s)) throw scenarioError(`${path}.sites[${j}]`, `no site ${JSON.stringify(s)}`);
    });
    if (episode.ramp !== undefined && parseDuration(episode.ramp) <= 0) throw scenarioError(`${path}.ramp`, 'must be longer than 0');
    checkWhen(episode.when, `${path}.when`);
  });
  spec.faults.forEach((fault, i) => checkFault(spec, fault, `faults[${i}]`));
}

function checkProfile(name: string, profile: Record<string, MetricProfile>): void {
  if (!ID.test(name)) throw scenarioError(`profiles.${name}`, 'a profile name must be an id (1–64 of a-z 0-9 _ -)');
  if (Object.keys(profile).length === 0) throw scenarioError(`profiles.${name}`, 'defines no metric');
  for (const [metric, p] of Object.entries(profile)) {
    const path = `profiles.${name}.${metric}`;
    if (!KNOWN_METRICS.has(metric)) throw scenarioError(path, `${JSON.stringify(metric)} is not a metric a scenario can simulate (${SCENARIO_METRICS.join(', ')})`);
    const sources = [p.base !== undefined, p.monthly !== undefined, p.ratioOf !== undefined].filter(Boolean).length;
    if (sources !== 1) throw scenarioError(path, 'needs exactly one of base, monthly, ratioOf');
    if (p.ratioOf !== undefined) {
      const parent = profile[p.ratioOf];
      if (!parent) throw scenarioError(`${path}.ratioOf`, `no metric ${JSON.stringify(p.ratioOf)} in profile ${name}`);
      if (parent.ratioOf !== undefined) throw scenarioError(`${path}.ratioOf`, `${p.ratioOf} is itself a ratio; refer to its base metric`);
      if (p.ratio === undefined) throw scenarioError(`${path}.ratio`, 'is required with ratioOf');
      for (const field of ['diurnal', 'diurnalOffset', 'rushHours'] as const) {
        if (p[field] !== undefined) throw scenarioError(`${path}.${field}`, `a ratio metric follows ${p.ratioOf}'s shape; remove ${field}`);
      }
    } else if (p.ratio !== undefined) {
      throw scenarioError(`${path}.ratio`, 'only with ratioOf');
    }
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) throw scenarioError(`${path}.max`, `must be at least min (${p.min})`);
  }
}

function checkSites(spec: ScenarioSpec): void {
  const siteIds = new Set<string>();
  const gatewayIds = new Set<string>();
  const cameraIds = new Set<string>();
  spec.sites.forEach((site, i) => {
    if (siteIds.has(site.id)) throw scenarioError(`sites[${i}].id`, `site ${site.id} is listed twice`);
    siteIds.add(site.id);
    site.gateways.forEach((gateway, j) => {
      const gPath = `sites[${i}].gateways[${j}]`;
      if (gatewayIds.has(gateway.id)) throw scenarioError(`${gPath}.id`, `gateway ${gateway.id} is listed twice (gateway ids are unique in the whole scenario)`);
      gatewayIds.add(gateway.id);
      const sensorIds = new Set<string>();
      gateway.sensors.forEach((sensor, k) => {
        const path = `${gPath}.sensors[${k}]`;
        if (sensorIds.has(sensor.id)) throw scenarioError(`${path}.id`, `sensor ${sensor.id} is listed twice in gateway ${gateway.id}`);
        sensorIds.add(sensor.id);
        if (sensor.device === 'camera') {
          if (cameraIds.has(sensor.id)) throw scenarioError(`${path}.id`, `camera ${sensor.id} is listed twice (camera ids are unique in the whole scenario)`);
          cameraIds.add(sensor.id);
        }
        checkSensor(spec, sensor, path);
      });
    });
  });
}

function checkSensor(spec: ScenarioSpec, sensor: ScenarioSpec['sites'][number]['gateways'][number]['sensors'][number], path: string): void {
  const only = (field: 'registerMap' | 'unit' | 'protocol', kind: string): void => {
    if (sensor[field] !== undefined && sensor.device !== kind) throw scenarioError(`${path}.${field}`, `only for ${kind} devices`);
  };
  only('registerMap', 'modbus');
  only('unit', 'modbus');
  only('protocol', 'camera');
  if (sensor.device === 'modbus' && sensor.registerMap === undefined) throw scenarioError(`${path}.registerMap`, 'is required for a modbus device (gas, weather or water)');
  if (sensor.device === 'camera') {
    if (sensor.profile !== undefined) throw scenarioError(`${path}.profile`, 'a camera has no value profile (its faults say when it is down)');
    return;
  }
  if (sensor.profile === undefined) throw scenarioError(`${path}.profile`, 'is required');
  const profile = spec.profiles[sensor.profile];
  if (!profile) {
    throw scenarioError(`${path}.profile`, `no profile ${JSON.stringify(sensor.profile)} (profiles: ${Object.keys(spec.profiles).join(', ') || 'none'})`);
  }
  const missing = requiredMetrics(sensor.device, sensor.registerMap).filter((m) => !(m in profile));
  if (missing.length > 0) {
    const what = sensor.device === 'modbus' ? `a modbus ${sensor.registerMap} map` : `a ${sensor.device}`;
    throw scenarioError(`${path}.profile`, `profile ${sensor.profile} lacks ${missing.join(', ')} (${what} reports ${requiredMetrics(sensor.device, sensor.registerMap).join(', ')})`);
  }
}

const FAULT_DEVICES: Record<FaultSpec['kind'], (kind: string) => boolean> = {
  dropout: (k) => SERIAL_KINDS.includes(k as never),
  garbage: (k) => SERIAL_KINDS.includes(k as never),
  'bad-checksum': (k) => SERIAL_KINDS.includes(k as never),
  unplugged: (k) => SERIAL_KINDS.includes(k as never),
  stuck: (k) => k !== 'camera',
  spike: (k) => k !== 'camera',
  'camera-down': (k) => k === 'camera',
  'network-loss': () => false,
};

function checkFault(spec: ScenarioSpec, fault: FaultSpec, path: string): void {
  const gateway = spec.sites.flatMap((s) => s.gateways).find((g) => g.id === fault.gateway);
  if (!gateway) throw scenarioError(`${path}.gateway`, `no gateway ${JSON.stringify(fault.gateway)}`);
  if (fault.kind === 'network-loss') {
    if (fault.sensor !== undefined) throw scenarioError(`${path}.sensor`, 'network-loss concerns a whole gateway; remove sensor');
  } else {
    if (fault.sensor === undefined) throw scenarioError(`${path}.sensor`, `is required for ${fault.kind}`);
    const sensor = gateway.sensors.find((s) => s.id === fault.sensor);
    if (!sensor) throw scenarioError(`${path}.sensor`, `no sensor ${JSON.stringify(fault.sensor)} in gateway ${gateway.id}`);
    if (!FAULT_DEVICES[fault.kind](sensor.device)) throw scenarioError(`${path}.kind`, `${fault.kind} does not apply to a ${sensor.device} device`);
  }
  if (fault.factor !== undefined && fault.kind !== 'spike') throw scenarioError(`${path}.factor`, 'only for spike');
  if (fault.rate !== undefined && fault.kind !== 'garbage' && fault.kind !== 'bad-checksum') throw scenarioError(`${path}.rate`, 'only for garbage and bad-checksum');
  if (fault.mode !== undefined && fault.kind !== 'network-loss') throw scenarioError(`${path}.mode`, 'only for network-loss');
  checkWhen(fault.when, `${path}.when`);
}

function checkWhen(when: When, path: string): void {
  const anchors = (['after', 'at', 'daily'] as const).filter((k) => when[k] !== undefined);
  if (anchors.length > 1) throw scenarioError(`${path}.${anchors[1]}`, `use one of after, at, daily (got ${anchors.join(' and ')})`);
  if (anchors.length === 0 && when.every === undefined) throw scenarioError(path, 'needs one of after, at, daily, every');
  if (when.at !== undefined && !Number.isFinite(Date.parse(when.at))) throw scenarioError(`${path}.at`, 'is not a valid date');
  if (when.daily !== undefined) {
    for (const field of ['for', 'every'] as const) {
      if (when[field] !== undefined) throw scenarioError(`${path}.${field}`, 'a daily window carries its own length; remove it');
    }
    return;
  }
  if (when.weekdays !== undefined) throw scenarioError(`${path}.weekdays`, 'only with daily');
  if (when.for === undefined) throw scenarioError(`${path}.for`, 'is required (how long it lasts)');
  const lengthMs = parseDuration(when.for);
  if (lengthMs <= 0) throw scenarioError(`${path}.for`, 'must be longer than 0');
  if (when.every !== undefined && lengthMs >= parseDuration(when.every)) throw scenarioError(`${path}.for`, `must be shorter than every (${when.every})`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
