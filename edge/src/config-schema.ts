/**
 * The JSON Schema of the agent's configuration file, written with TypeBox. Build-time only: the agent validates with
 * the check generated from it (config-validator.generated.ts, by `npm run gen:validators`) and never loads TypeBox
 * for a valid config. validators.test.ts fails while the generated module is older than this schema.
 */
import type { ValidatorModuleOptions } from '@ioc/protocol/codegen';
import { Type } from 'typebox';

const ID_ERROR = 'is not a valid id: use 1–64 of a-z 0-9 _ -, starting with a letter or digit';
const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', 'x-error': ID_ERROR });
const Path = Type.String({ minLength: 1 });
const Ms = (def: number, min: number, max: number) => Type.Integer({ minimum: min, maximum: max, default: def });

/**
 * The agent's configuration file (YAML or JSON). Every default is listed, commented, in edge/sample-config.yaml.
 * Unknown fields are refused everywhere except inside an input (its driver checks those).
 */
export const AgentConfigSchema = Type.Object(
  {
    gateway: Type.Object({ site: Id, id: Id }, { additionalProperties: false }),
    /** Folder of the outbox and the last good remote config. A config file without it gets DEFAULT_DATA_DIR. */
    dataDir: Type.Optional(Path),
    mqtt: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtts?|tcp|ssl)://', 'x-error': 'must start with mqtt://, mqtts://, tcp:// or ssl://' }),
        /** Defaults to the gateway id (the broker requires them equal). */
        username: Type.Optional(Id),
        /** The gateway's secret, or… */
        password: Type.Optional(Type.String({ minLength: 1 })),
        /** …a file holding it (read at every connect, so a rotated secret needs no restart; one trailing newline is ignored). */
        passwordFile: Type.Optional(Path),
        /** PEM CA bundle that signed the broker's certificate (mqtts:// only; default: the system's CAs). */
        caFile: Type.Optional(Path),
        /** PEM client certificate and key, for brokers that require one (mqtts:// only). */
        certFile: Type.Optional(Path),
        keyFile: Type.Optional(Path),
        keepaliveSec: Type.Integer({ minimum: 5, maximum: 1200, default: 30 }),
        connectTimeoutMs: Ms(10_000, 1000, 120_000),
        /** Reconnect delay after a failed or lost connection: doubles from min to max, each drawn in [½, 1] of it. */
        reconnectMinMs: Ms(1000, 10, 600_000),
        reconnectMaxMs: Ms(60_000, 10, 3_600_000),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Object(
      {
        maxBytes: Type.Integer({ minimum: 65_536, default: 512 * 1024 * 1024 }),
        maxReadings: Type.Integer({ minimum: 1, default: 20_000_000 }),
        sync: Type.Enum(['full', 'normal'], { default: 'full' }),
      },
      { additionalProperties: false, default: {} },
    ),
    uplink: Type.Object(
      {
        maxBatchReadings: Type.Integer({ minimum: 1, maximum: 2000, default: 500 }),
        lingerMs: Ms(1000, 0, 60_000),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        /** Interface of /healthz and /metrics; keep it on loopback unless a firewall guards the port. */
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        /** 0 turns the endpoint off. */
        port: Type.Integer({ minimum: 0, maximum: 65_535, default: 9464 }),
      },
      { additionalProperties: false, default: {} },
    ),
    clock: Type.Object(
      {
        /** An http(s) URL whose `Date` header is the reference time (e.g. the cloud's /api/v1/health). */
        referenceUrl: Type.Optional(Type.String({ pattern: '^https?://', 'x-error': 'must start with http:// or https://' })),
        /** A skew beyond this is reported as `clockSkewMs` in the birth message. */
        maxSkewMs: Ms(5000, 1000, 86_400_000),
        checkIntervalMs: Ms(3_600_000, 10_000, 86_400_000),
      },
      { additionalProperties: false, default: {} },
    ),
    inputs: Type.Array(Type.Object({ driver: Type.String(), id: Id }, { additionalProperties: true }), { minItems: 1, maxItems: 256 }),
  },
  { additionalProperties: false },
);

/** What config-validator.generated.ts holds. */
export const generatedValidators: ValidatorModuleOptions = {
  schemasModule: './config-schema.js',
  command: 'npm run gen:validators',
  schemas: [{ name: 'AgentConfig', schema: AgentConfigSchema }],
};
