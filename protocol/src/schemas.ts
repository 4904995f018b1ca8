/**
 * The JSON Schemas of protocol v1's payloads, written with TypeBox: the one source of the payload checks.
 *
 * Build-time only. Programs do not import this module: they use the checks generated from it
 * (validators.generated.ts, by `npm run gen:validators`), so that a gateway never loads TypeBox (~9 MB of heap).
 * validators.test.ts fails while the generated module is older than these schemas.
 */
import { Type, type Static } from 'typebox';
import {
  END_TS_MS,
  MAX_READINGS,
  MIN_TS_MS,
  type ConfigAck,
  type ReadingInput,
  type StateMessage,
  type TelemetryBatchInput,
} from './payloads.js';
import type { ValidatorModuleOptions } from './codegen.js';
import { ID_PATTERN } from './topics.js';

const Id = Type.String({ pattern: ID_PATTERN.source });
const EpochMs = Type.Integer({ minimum: MIN_TS_MS, exclusiveMaximum: END_TS_MS });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** JSON Schema of one wire reading. Non-finite values are rejected by `Type.Number`. */
export const ReadingSchema = Type.Object({
  sensor: Id,
  metric: Id,
  ts: EpochMs,
  value: Type.Number(),
  quality: Type.Optional(Type.Enum(['good', 'uncertain', 'bad'])),
});

/** JSON Schema of a telemetry payload (metric catalogue membership is checked separately). */
export const TelemetryBatchSchema = Type.Object({
  seq: Count,
  readings: Type.Array(ReadingSchema, { minItems: 1, maxItems: MAX_READINGS }),
  historical: Type.Optional(Type.Boolean()),
});

/** JSON Schema of a state payload. */
export const StateMessageSchema = Type.Object({
  online: Type.Boolean(),
  ts: Type.Optional(EpochMs),
  agent: Type.Optional(Type.Object({ name: Type.Optional(Type.String()), version: Type.String() })),
  inputs: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String({ minLength: 1 }),
        driver: Type.String({ minLength: 1 }),
        sensors: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
  outbox: Type.Optional(Type.Object({ pending: Type.Optional(Count), dropped: Type.Optional(Count) })),
});

/** JSON Schema of a config acknowledgement payload. */
export const ConfigAckSchema = Type.Object({
  version: Type.Union([Count, Type.String({ minLength: 1 })]),
  ok: Type.Boolean(),
  error: Type.Optional(Type.String()),
});

// Compile-time proof that each schema's static type and its documented interface agree (no runtime code).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type Writable<T> = { -readonly [K in keyof T]: T[K] };
type WireBatch = Writable<TelemetryBatchInput> & { readings: ReadingInput[] };
type _ReadingAgrees = Assert<Same<Static<typeof ReadingSchema>, ReadingInput>>;
type _BatchAgrees = Assert<Same<Static<typeof TelemetryBatchSchema>, WireBatch>>;
type _StateAgrees = Assert<Same<Static<typeof StateMessageSchema>, StateMessage>>;
type _AckAgrees = Assert<Same<Static<typeof ConfigAckSchema>, ConfigAck>>;

/** What validators.generated.ts holds: `${name}Schema` and `check${name}` for each. */
export const generatedValidators: ValidatorModuleOptions = {
  schemasModule: './schemas.js',
  command: 'npm run gen:validators',
  schemas: [
    { name: 'Reading', schema: ReadingSchema },
    { name: 'TelemetryBatch', schema: TelemetryBatchSchema },
    { name: 'StateMessage', schema: StateMessageSchema },
    { name: 'ConfigAck', schema: ConfigAckSchema },
  ],
};
