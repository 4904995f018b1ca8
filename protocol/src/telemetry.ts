/**
 * Telemetry codec: TelemetryBatch ⇄ payload bytes. The decoder is the cloud's hot path (one call per
 * message, microseconds): one compiled schema check, one catalogue lookup per reading, one copy.
 */
import type { Buffer } from 'node:buffer';
import { ErrorCode, IocError, ok, type ProtocolError, type Result } from './errors.js';
import { isMetricName } from './metrics.js';
import {
  type ReadingInput,
  type TelemetryBatch,
  type TelemetryBatchInput,
} from './payloads.js';
import type { Reading } from './reading.js';
import { schemaError, schemaErrors, type FieldHints } from './schema-errors.js';
import { parsePayload, serialize } from './wire.js';
import { ReadingSchema, TelemetryBatchSchema, checkReading, checkTelemetryBatch } from './validators.generated.js';


const hints: FieldHints = new Map([
  ['', 'telemetry batch {seq, readings, historical?}'],
  ['/seq', 'message sequence number'],
  ['/readings', 'readings of this message'],
  ['/historical', 'true when replaying after an outage'],
  ['/readings/*', 'reading {sensor, metric, ts, value, quality?}'],
  ['/readings/*/sensor', 'sensor id'],
  ['/readings/*/metric', 'metric name'],
  ['/readings/*/ts', 'epoch milliseconds'],
  ['/readings/*/value', "in the metric's unit"],
  ['/readings/*/quality', 'reading quality'],
]);

/** The reading hints, re-rooted at the reading (`/readings/*\/ts` → `/ts`). */
const readingHints: FieldHints = new Map(
  [...hints]
    .filter(([path]) => path.startsWith('/readings/*'))
    .map(([path, hint]) => [path.slice('/readings/*'.length), hint]),
);

/**
 * Decodes a telemetry payload. Checks, in order: size (MAX_PAYLOAD_BYTES), strict UTF-8, JSON syntax,
 * schema (first error), every metric in the catalogue. Unknown properties are dropped; missing `quality`
 * becomes `'good'`, missing `historical` becomes false. The batch is accepted or refused as a whole.
 * Never throws.
 */
export function decodeTelemetry(payload: Uint8Array | string): Result<TelemetryBatch> {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return parsed;
  const wire = parsed.value;
  if (!checkTelemetryBatch(wire)) return { ok: false, error: schemaError(schemaErrors(TelemetryBatchSchema, wire), hints) };
  const unknown = unknownMetric(wire.readings);
  if (unknown) return { ok: false, error: unknown };
  return ok({ seq: wire.seq, readings: wire.readings.map(toReading), historical: wire.historical === true });
}

/**
 * Encodes a batch as compact JSON: only contract fields, `quality` omitted when good, `historical` only
 * when true. Throws IocError (IOC_ERR_PAYLOAD_SCHEMA, IOC_ERR_UNKNOWN_METRIC, IOC_ERR_PAYLOAD_TOO_LARGE)
 * for a batch the decoder would refuse, so a gateway never publishes one; on TOO_LARGE, split the batch.
 */
export function encodeTelemetry(batch: TelemetryBatchInput): Buffer {
  if (!checkTelemetryBatch(batch)) throw new IocError(schemaError(schemaErrors(TelemetryBatchSchema, batch), hints));
  const unknown = unknownMetric(batch.readings);
  if (unknown) throw new IocError(unknown);
  const wire: TelemetryBatchInput = { seq: batch.seq, readings: batch.readings.map(toWireReading) };
  if (batch.historical === true) wire.historical = true;
  return serialize(wire);
}

/**
 * Checks one reading against the contract (shape, id rule, ts range, finite value, catalogued metric), with
 * paths relative to the reading (`/ts`). Returns undefined when encodeTelemetry would accept it. Gateways call
 * this before queueing a reading, so one bad reading can never block a batch in the outbox.
 */
export function validateReading(reading: ReadingInput): ProtocolError | undefined {
  if (!checkReading(reading)) return schemaError(schemaErrors(ReadingSchema, reading), readingHints);
  if (isMetricName(reading.metric)) return undefined;
  const message = `/metric: ${JSON.stringify(reading.metric)} is not in the metric catalogue`;
  return { code: ErrorCode.IOC_ERR_UNKNOWN_METRIC, path: '/metric', message };
}

/** The first reading whose metric is not catalogued, as an error at `/readings/N/metric`. */
function unknownMetric(readings: readonly ReadingInput[]): ProtocolError | undefined {
  for (let i = 0; i < readings.length; i++) {
    const metric = readings[i]?.metric;
    if (!isMetricName(metric)) {
      const path = `/readings/${i}/metric`;
      const message = `${path}: ${JSON.stringify(metric)} is not in the metric catalogue`;
      return { code: ErrorCode.IOC_ERR_UNKNOWN_METRIC, path, message };
    }
  }
  return undefined;
}

function toReading(r: ReadingInput): Reading {
  return { sensor: r.sensor, metric: r.metric, ts: r.ts, value: r.value, quality: r.quality ?? 'good' };
}

function toWireReading(r: ReadingInput): ReadingInput {
  const wire: ReadingInput = { sensor: r.sensor, metric: r.metric, ts: r.ts, value: r.value };
  if (r.quality !== undefined && r.quality !== 'good') wire.quality = r.quality;
  return wire;
}
