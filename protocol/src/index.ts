/**
 * @ioc/protocol: the v1 wire contract between gateways (edge) and the cloud. Imports nothing of ours.
 * See docs/protocol.md for the contract in prose.
 */
export type { Quality, Reading } from './reading.js';
export {
  ErrorCode,
  IocError,
  isErrorCode,
  throwProtocolError,
  unwrap,
  type ProtocolError,
  type Result,
} from './errors.js';
export {
  ID_PATTERN,
  QOS,
  RETAIN,
  TOPIC_PREFIX,
  filters,
  isValidId,
  parseTopic,
  topics,
  type ParsedTopic,
  type TopicKind,
} from './topics.js';
export {
  getMetric,
  isMetricName,
  isPlausible,
  metricNames,
  metrics,
  type MetricDef,
  type MetricName,
} from './metrics.js';
export {
  END_TS_MS,
  MAX_PAYLOAD_BYTES,
  MAX_READINGS,
  MIN_TS_MS,
  type AgentInfo,
  type ConfigAck,
  type InputState,
  type OutboxState,
  type ReadingInput,
  type StateMessage,
  type TelemetryBatch,
  type TelemetryBatchInput,
} from './payloads.js';
// JSON Schemas of the payloads, and their checks: generated from schemas.ts, free of TypeBox at run time.
export {
  ConfigAckSchema,
  ReadingSchema,
  StateMessageSchema,
  TelemetryBatchSchema,
  checkConfigAck,
  checkReading,
  checkStateMessage,
  checkTelemetryBatch,
} from './validators.generated.js';
export { schemaErrors } from './schema-errors.js';
export { decodeTelemetry, encodeTelemetry, validateReading } from './telemetry.js';
export { decodeConfigAck, decodeState, encodeConfigAck, encodeState } from './state.js';
