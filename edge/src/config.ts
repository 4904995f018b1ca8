import { readFile } from 'node:fs/promises';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { drivers, type DriverName } from './drivers/index.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });

/** The agent's configuration file (JSON). Every default is listed in edge/sample-config.jsonc. */
export const AgentConfigSchema = Type.Object({
  gateway: Type.Object({ site: Id, id: Id }),
  mqtt: Type.Object({
    url: Type.String({ pattern: '^(mqtts?|tcp|ssl)://' }),
    /** Defaults to the gateway id (the broker requires them equal). */
    username: Type.Optional(Id),
    password: Type.String({ minLength: 1 }),
    keepaliveSec: Type.Integer({ minimum: 5, maximum: 1200, default: 30 }),
  }),
  outbox: Type.Object({ maxReadings: Type.Integer({ minimum: 1, default: 1_000_000 }) }, { default: {} }),
  uplink: Type.Object(
    {
      maxBatchReadings: Type.Integer({ minimum: 1, maximum: 2000, default: 500 }),
      lingerMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
    },
    { default: {} },
  ),
  inputs: Type.Array(Type.Object({ driver: Type.String() }, { additionalProperties: true }), { minItems: 1 }),
});

export type AgentConfigRaw = Static<typeof AgentConfigSchema>;

export interface AgentConfig extends Omit<AgentConfigRaw, 'inputs'> {
  /** Each input's config, as parsed by its driver. */
  inputs: { driver: DriverName; config: unknown }[];
}

/** A configuration error; `message` names the full path of what was wrong, e.g. `inputs[0].port: …`. */
export class ConfigError extends Error {
  readonly code = 'IOC_ERR_CONFIG';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'ConfigError';
  }
}

const validator = Compile(AgentConfigSchema);

/** `/inputs/0/port` → `inputs[0].port` */
function toPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('')
    .replace(/^\./, '');
}

/** Validates a parsed config object, applying defaults; throws ConfigError naming the first problem. */
export function parseAgentConfig(raw: unknown): AgentConfig {
  const withDefaults = validator.Default(structuredClone(raw));
  const first = validator.Errors(withDefaults)[0];
  if (first) {
    const field = first.keyword === 'required' && 'params' in first ? (first.params as { requiredProperties?: string[] }).requiredProperties?.[0] : undefined;
    const path = [toPath(first.instancePath), field].filter(Boolean).join('.');
    throw new ConfigError(path, field ? 'is required' : first.message);
  }
  const cfg = withDefaults as AgentConfigRaw;
  const inputs = cfg.inputs.map((input, i) => {
    const factory = (drivers as Record<string, (typeof drivers)[DriverName] | undefined>)[input.driver];
    if (!factory) throw new ConfigError(`inputs[${i}].driver`, `unknown driver ${JSON.stringify(input.driver)}; known: ${Object.keys(drivers).join(', ')}`);
    try {
      return { driver: input.driver as DriverName, config: factory.parseConfig(input, `inputs[${i}]`) };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'IOC_ERR_CONFIG') throw new ConfigError('', e.message ?? String(err));
      throw err;
    }
  });
  const ids = new Set<string>();
  cfg.inputs.forEach((input, i) => {
    const id = (input as { id?: unknown }).id;
    if (typeof id === 'string' && ids.has(id)) throw new ConfigError(`inputs[${i}].id`, `duplicate input id ${JSON.stringify(id)}`);
    if (typeof id === 'string') ids.add(id);
  });
  return Object.freeze({ ...cfg, inputs });
}

/** Reads and validates a JSON config file; syntax errors name the file and position. */
export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseAgentConfig(raw);
  } catch (err) {
    if ((err as { code?: string }).code === "IOC_ERR_CONFIG") throw new ConfigError('', `${file}: ${(err as Error).message}`);
    throw err;
  }
}
