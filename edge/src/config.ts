import { getMetric, schemaErrors } from '@ioc/protocol';
import type { Static } from 'typebox';
import { applyDefaults } from './config-defaults.js';
import type { AgentConfigSchema as AgentConfigTypeBox } from './config-schema.js';
import { AgentConfigSchema, checkAgentConfig } from './config-validator.generated.js';

export { AgentConfigSchema };
import type { DriverFactory } from './driver.js';
import { drivers as builtinDrivers } from './drivers/index.js';

/** Where the outbox and the last good remote config live when a config file names no `dataDir`. */
export const DEFAULT_DATA_DIR = '/var/lib/ioc-edge';

/** The drivers an agent may run, by the value of an input's `driver` field (the built-in `drivers` by default). */
export type DriverRegistry = Readonly<Record<string, DriverFactory<unknown>>>;

export type AgentConfigRaw = Static<typeof AgentConfigTypeBox>;

/** `value * gain + offset`, applied to one metric of an input before the plausibility check. */
export interface Calibration {
  readonly gain: number;
  readonly offset: number;
}

/** One input: its driver, its id, its config as parsed by that driver, and its calibration. */
export interface InputConfig {
  readonly driver: string;
  readonly id: string;
  readonly config: unknown;
  /** By metric name; metrics absent here pass unchanged. */
  readonly calibration: Readonly<Record<string, Calibration>>;
}

export interface AgentConfig extends Omit<AgentConfigRaw, 'inputs'> {
  readonly inputs: readonly InputConfig[];
}

/** A configuration error; `message` names the full path of what was wrong, e.g. `inputs[0].port: …`. */
export class ConfigError extends Error {
  readonly code = 'IOC_ERR_CONFIG';
  /**
   * @param path the offending value, e.g. `inputs[0].port` ('' for the whole config)
   * @param file the config file, when the config came from one
   */
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super([file, path, detail].filter(Boolean).join(': '));
    this.name = 'ConfigError';
  }
}

/** `/inputs/0/port` → `inputs[0].port` */
function toPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('')
    .replace(/^\./, '');
}

/** The sub-schema at a JSON-pointer-like schema path (`#/properties/mqtt/properties/url`). */
function schemaAt(schemaPath: string): Record<string, unknown> {
  let node: unknown = AgentConfigSchema;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) node = (node as Record<string, unknown>)[seg];
  return (node ?? {}) as Record<string, unknown>;
}

const TYPE_NAMES: Record<string, string> = { string: 'a string', integer: 'an integer', number: 'a number', object: 'an object', array: 'an array', boolean: 'true or false' };

/** A readable message for TypeBox's first error, with the path in the config's own notation. */
function describeSchemaError(raw: unknown, errors: ReturnType<typeof schemaErrors>): ConfigError | undefined {
  const first = errors[0];
  if (!first) return undefined;
  const path = toPath(first.instancePath);
  const params = first.params as Record<string, unknown>;
  const got = valueAt(raw, first.instancePath);
  const shown = typeof got === 'object' || got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
  switch (first.keyword) {
    case 'required':
      return new ConfigError([path, (params.requiredProperties as string[])[0]].filter(Boolean).join('.'), 'is required');
    case 'boolean': {
      const parent = schemaAt(first.schemaPath.replace(/\/additionalProperties$/, ''));
      const allowed = Object.keys(parent.properties ?? {}).join(', ');
      return new ConfigError(path, `unknown field (allowed: ${allowed})`);
    }
    case 'type':
      return new ConfigError(path, `must be ${TYPE_NAMES[params.type as string] ?? String(params.type)}${shown}`);
    case 'enum':
      return new ConfigError(path, `must be one of ${(params.allowedValues as string[]).map((v) => `'${v}'`).join(', ')}${shown}`);
    case 'pattern': {
      const custom = schemaAt(first.schemaPath)['x-error'];
      return new ConfigError(path, `${JSON.stringify(got)} ${typeof custom === 'string' ? custom : first.message}`);
    }
    default:
      return new ConfigError(path, `${first.message}${shown}`);
  }
}

function valueAt(raw: unknown, pointer: string): unknown {
  let node = raw;
  for (const seg of pointer.split('/').slice(1)) node = (node as Record<string, unknown> | undefined)?.[seg];
  return node;
}

/** A driver's IOC_ERR_CONFIG error as a ConfigError (its message already names the path). */
function fromDriverError(err: unknown): unknown {
  const e = err as { code?: string; message?: string; path?: string };
  if (e.code !== 'IOC_ERR_CONFIG') return err;
  const path = e.path ?? '';
  const message = e.message ?? String(err);
  return new ConfigError(path, path && message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message);
}

/** `inputs[i].calibration`: `{ <metric>: { gain?, offset? } }`. */
export function parseCalibration(raw: unknown, path: string): Record<string, Calibration> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(path, 'must be an object of { <metric>: { gain, offset } }');
  const out: Record<string, Calibration> = {};
  for (const [metric, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${path}.${metric}`;
    if (!getMetric(metric)) throw new ConfigError(at, `${JSON.stringify(metric)} is not a known metric (see the metric catalogue in docs/protocol.md)`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(at, 'must be an object { gain, offset }');
    const unknown = Object.keys(value).find((k) => k !== 'gain' && k !== 'offset');
    if (unknown) throw new ConfigError(`${at}.${unknown}`, 'unknown field (allowed: gain, offset)');
    const { gain = 1, offset = 0 } = value as { gain?: unknown; offset?: unknown };
    if (typeof gain !== 'number' || !Number.isFinite(gain) || gain === 0) throw new ConfigError(`${at}.gain`, 'must be a finite number other than 0');
    if (typeof offset !== 'number' || !Number.isFinite(offset)) throw new ConfigError(`${at}.offset`, 'must be a finite number');
    out[metric] = Object.freeze({ gain, offset });
  }
  return Object.freeze(out);
}

function parseInput(input: Record<string, unknown>, i: number, registry: DriverRegistry): InputConfig {
  const path = `inputs[${i}]`;
  const driver = input.driver as string;
  const factory = Object.hasOwn(registry, driver) ? registry[driver] : undefined;
  if (!factory) throw new ConfigError(`${path}.driver`, `unknown driver ${JSON.stringify(driver)}; known: ${Object.keys(registry).join(', ')}`);
  const { calibration, ...driverRaw } = input;
  let config: unknown;
  try {
    config = factory.parseConfig(driverRaw, path);
  } catch (err) {
    throw fromDriverError(err);
  }
  return Object.freeze({ driver, id: input.id as string, config, calibration: parseCalibration(calibration, `${path}.calibration`) });
}

function checkMqtt(mqtt: AgentConfigRaw['mqtt']): void {
  if (mqtt.password === undefined && mqtt.passwordFile === undefined) throw new ConfigError('mqtt.password', 'is required (or mqtt.passwordFile)');
  if (mqtt.password !== undefined && mqtt.passwordFile !== undefined) throw new ConfigError('mqtt.passwordFile', 'give mqtt.password or mqtt.passwordFile, not both');
  const tls = /^(mqtts|ssl):\/\//.test(mqtt.url);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    if (mqtt[key] !== undefined && !tls) throw new ConfigError(`mqtt.${key}`, 'needs an mqtts:// (TLS) url');
  }
  if ((mqtt.certFile === undefined) !== (mqtt.keyFile === undefined)) {
    throw new ConfigError(mqtt.certFile === undefined ? 'mqtt.certFile' : 'mqtt.keyFile', 'a client certificate needs both certFile and keyFile');
  }
  if (mqtt.reconnectMaxMs < mqtt.reconnectMinMs) throw new ConfigError('mqtt.reconnectMaxMs', `must be at least reconnectMinMs (${mqtt.reconnectMinMs})`);
}

/**
 * Validates a parsed config object, applying defaults; throws ConfigError naming the first problem. Pure: it reads
 * no file (loadAgentConfig also checks the files the config names). Each input is checked by its driver, with its
 * `calibration` taken out first.
 */
export function parseAgentConfig(raw: unknown, registry: DriverRegistry = builtinDrivers): AgentConfig {
  const withDefaults: unknown = applyDefaults(AgentConfigSchema, withoutEmptySections(structuredClone(raw)));
  if (!checkAgentConfig(withDefaults)) {
    throw describeSchemaError(withDefaults, schemaErrors(AgentConfigSchema, withDefaults)) ?? new ConfigError('', 'does not match the schema');
  }
  const cfg: AgentConfigRaw = withDefaults;
  checkMqtt(cfg.mqtt);
  const ids = new Set<string>();
  cfg.inputs.forEach((input, i) => {
    if (ids.has(input.id)) throw new ConfigError(`inputs[${i}].id`, `duplicate input id ${JSON.stringify(input.id)}`);
    ids.add(input.id);
  });
  const inputs = cfg.inputs.map((input, i) => parseInput(input, i, registry));
  return deepFreeze({ ...cfg, inputs });
}

/** A YAML section whose lines are all commented out (`outbox:` alone) is null: it counts as absent. */
function withoutEmptySections(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
