import { Type, type Static } from 'typebox';
import { DAILY_WINDOW_PATTERN, DURATION_PATTERN, TIME_OF_DAY_PATTERN } from './duration.js';
import { DEVICE_KINDS, MODBUS_MAPS } from './metrics.js';

// The scenario file (YAML), as a TypeBox schema. Structure and ranges are checked here; references between parts
// (profiles, fault targets, metrics a device needs) are checked by load.ts. Every default is stated in the schema and
// in simulators/scenarios/minimal.yaml.

/** The wire contract's id rule (docs/protocol.md): site, gateway and sensor ids. */
const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'e.g. 500ms, 20m, 1h30m, 7d' });
const TimeOfDay = Type.String({ pattern: TIME_OF_DAY_PATTERN, description: 'HH:MM, scenario local time' });
/** ISO 8601 date-time with a zone, e.g. 2025-12-15T06:00:00+07:00. */
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$' });
const Names = Type.Object({ vi: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const Factor = Type.Number({ exclusiveMinimum: 0, maximum: 1000 });

/**
 * When something happens, in scenario time. Exactly one of: `after` (offset from the scenario's start), `at`
 * (an instant), `daily` (a window every day, local time, optionally on some weekdays only), `every` (periodic,
 * first at `after` or at the start). `for` is the length of each occurrence (required except for `daily`).
 */
export const WhenSchema = Type.Object(
  {
    after: Type.Optional(Duration),
    at: Type.Optional(Instant),
    daily: Type.Optional(Type.String({ pattern: DAILY_WINDOW_PATTERN, description: 'HH:MM-HH:MM, may wrap midnight' })),
    weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, description: '1 = Monday … 7 = Sunday' })),
    every: Type.Optional(Duration),
    for: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

/** One metric's values over time: a base (flat or by month), shaped by the hour of day and rush hours, with noise. */
export const MetricProfileSchema = Type.Object(
  {
    /** Flat base value, in the metric's catalogue unit. */
    base: Type.Optional(Type.Number()),
    /** Base value per month, January … December (interpolated between mid-months): the season. */
    monthly: Type.Optional(Type.Array(Type.Number(), { minItems: 12, maxItems: 12 })),
    /** This metric is another metric of the same profile times `ratio` (e.g. pm10 = 1.75 × pm25). */
    ratioOf: Type.Optional(Type.String()),
    ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Multipliers by local hour 0 … 23, interpolated (night inversion, afternoon trough). */
    diurnal: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { minItems: 24, maxItems: 24 })),
    /** Offsets added by local hour 0 … 23, interpolated (temperature: cool nights, warm afternoons). */
    diurnalOffset: Type.Optional(Type.Array(Type.Number(), { minItems: 24, maxItems: 24 })),
    /** Extra multipliers in daily windows (traffic). */
    rushHours: Type.Optional(
      Type.Array(Type.Object({ from: TimeOfDay, to: TimeOfDay, factor: Factor }, { additionalProperties: false }), { maxItems: 24 }),
    ),
    /** Relative standard deviation of multiplicative noise. Default 0.05 (absent `noiseAbs`), else 0. */
    noise: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    /** Standard deviation of additive noise, in the metric's unit. Default 0. */
    noiseAbs: Type.Optional(Type.Number({ minimum: 0 })),
    /** Fraction of time the metric is non-zero (rain). Default 1. */
    presence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Values wrap modulo this (wind direction: 360). */
    wrap: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Clamps, in the metric's unit. Default min 0 (unless `wrap`), no max. */
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    /** Decimals of the values a device reports (before its own resolution). Default: unrounded. */
    decimals: Type.Optional(Type.Integer({ minimum: 0, maximum: 4 })),
  },
  { additionalProperties: false },
);

export const SensorSchema = Type.Object(
  {
    id: Id,
    device: Type.Enum([...DEVICE_KINDS]),
    /** Name of an entry of `profiles` (every device but cameras). */
    profile: Type.Optional(Id),
    /** Multiplies every metric of the profile at this sensor (a busier crossroads: 1.2). Default 1. */
    factor: Type.Optional(Factor),
    /** Device's own measurement period, real ms (serial devices). Default 1000. */
    intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** Modbus: the slave's register map and unit address (default 1). */
    registerMap: Type.Optional(Type.Enum([...MODBUS_MAPS])),
    unit: Type.Optional(Type.Integer({ minimum: 1, maximum: 247 })),
    /** Camera: how it answers its heartbeat (RTSP OPTIONS or an HTTP status page). Default rtsp. */
    protocol: Type.Optional(Type.Enum(['rtsp', 'http'])),
    name: Type.Optional(Type.String({ minLength: 1 })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { additionalProperties: false },
);

export const GatewaySchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ minLength: 1 })),
    sensors: Type.Array(SensorSchema, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);

export const SiteSchema = Type.Object(
  {
    id: Id,
    name: Names,
    district: Type.String({ minLength: 1 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    gateways: Type.Array(GatewaySchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

/** A pollution episode: some metrics multiplied by `factor` (ramping in and out over `ramp`) while `when` holds. */
export const EpisodeSchema = Type.Object(
  {
    id: Id,
    metrics: Type.Array(Type.String(), { minItems: 1 }),
    factor: Factor,
    ramp: Type.Optional(Duration),
    /** Sites concerned; default every site. */
    sites: Type.Optional(Type.Array(Id, { minItems: 1 })),
    when: WhenSchema,
  },
  { additionalProperties: false },
);

export const FAULT_KINDS = [
  'dropout',
  'stuck',
  'spike',
  'garbage',
  'bad-checksum',
  'unplugged',
  'camera-down',
  'network-loss',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultSchema = Type.Object(
  {
    kind: Type.Enum([...FAULT_KINDS]),
    gateway: Id,
    /** The sensor concerned (every kind but network-loss). */
    sensor: Type.Optional(Id),
    when: WhenSchema,
    /** spike: multiplier of the values. Default 6. */
    factor: Type.Optional(Factor),
    /** garbage, bad-checksum: fraction of the device's writes spoiled. Default 0.3. */
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    /** network-loss: `blackhole` (packets vanish, as a cut fibre) or `reset` (connections refused). Default blackhole. */
    mode: Type.Optional(Type.Enum(['blackhole', 'reset'])),
  },
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  {
    id: Id,
    name: Names,
    /** Seed of every random choice: the same seed gives the same values and the same garbage. */
    seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }),
    /** Offset of local time from UTC, hours (Việt Nam: 7). Days, hours and rush hours are local. */
    utcOffsetHours: Type.Number({ minimum: -12, maximum: 14, default: 7 }),
    /** Scenario time when a run starts. Default: the moment it starts. */
    start: Type.Optional(Instant),
    /** Scenario seconds per real second (values, episodes, faults). Default 1. */
    speed: Type.Number({ minimum: 0.001, maximum: 10_000, default: 1 }),
    profiles: Type.Record(Type.String(), Type.Record(Type.String(), MetricProfileSchema), { default: {} }),
    episodes: Type.Array(EpisodeSchema, { default: [] }),
    sites: Type.Array(SiteSchema, { minItems: 1, maxItems: 500 }),
    faults: Type.Array(FaultSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type When = Static<typeof WhenSchema>;
export type MetricProfile = Static<typeof MetricProfileSchema>;
export type SensorSpec = Static<typeof SensorSchema>;
export type GatewaySpec = Static<typeof GatewaySchema>;
export type SiteSpec = Static<typeof SiteSchema>;
export type EpisodeSpec = Static<typeof EpisodeSchema>;
export type FaultSpec = Static<typeof FaultSchema>;
export type ScenarioSpec = Static<typeof ScenarioSchema>;
