/**
 * Payload types of protocol v1. Their JSON Schemas are in schemas.ts.
 *
 * Every payload is one UTF-8 JSON object of at most MAX_PAYLOAD_BYTES. Properties not listed here are
 * allowed on the wire (newer senders may add fields) and are dropped by the decoders.
 */
import type { Quality, Reading } from './reading.js';

/** Largest payload any decoder accepts, in bytes of UTF-8 (256 KiB). Encoders throw above it. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Most readings in one TelemetryBatch. The byte cap usually binds first (~80 bytes a reading). */
export const MAX_READINGS = 5000;

/** Earliest accepted timestamp, epoch ms UTC, inclusive: 2000-01-01T00:00:00Z. */
export const MIN_TS_MS = Date.UTC(2000, 0, 1);

/** End of the accepted timestamp range, epoch ms UTC, exclusive: 2100-01-01T00:00:00Z. */
export const END_TS_MS = Date.UTC(2100, 0, 1);

/** Reading as written on the wire and as accepted by encodeTelemetry: `quality` may be absent (means good). */
export interface ReadingInput {
  /** Sensor id, unique within its gateway (ID_PATTERN). */
  sensor: string;
  /** Metric name; must be in the metric catalogue. */
  metric: string;
  /** Time of measurement, integer epoch ms UTC, in [MIN_TS_MS, END_TS_MS). */
  ts: number;
  /** Finite number in the metric's canonical unit (see `metrics`). */
  value: number;
  /** good | uncertain | bad; absent means good. */
  quality?: Quality;
}

/** TelemetryBatch as accepted by encodeTelemetry (and as on the wire). */
export interface TelemetryBatchInput {
  /** Per-gateway message counter: +1 per telemetry message, integer in [0, 2^53-1]. */
  seq: number;
  /** 1..MAX_READINGS readings, in any order, of any sensors of this gateway. */
  readings: readonly ReadingInput[];
  /** True when the batch replays readings buffered during an outage; absent means false. */
  historical?: boolean;
}

/** A decoded telemetry message: extra fields dropped, every quality and `historical` filled in. */
export interface TelemetryBatch {
  /** Per-gateway message counter, as sent. A gap means lost messages, a repeat means a redelivery. */
  seq: number;
  /** The readings, in wire order, each with `quality` defaulted to `'good'`. */
  readings: Reading[];
  /** True when the batch replays readings buffered during an outage (false when absent on the wire). */
  historical: boolean;
}

/** The gateway agent that published a StateMessage. */
export interface AgentInfo {
  /** Agent program name, e.g. `ioc-edge`. */
  name?: string;
  /** Agent version, e.g. `0.1.0`. */
  version: string;
}

/** One configured input (driver instance) of the gateway. */
export interface InputState {
  /** Input id from the gateway config. */
  id: string;
  /** Driver name, e.g. `pms5003`, `modbus`. */
  driver: string;
  /** Ids of the sensors this input reads. */
  sensors?: string[];
}

/** Store-and-forward queue of the gateway at the time of the message. */
export interface OutboxState {
  /** Readings waiting to be published, integer ≥ 0. */
  pending?: number;
  /** Readings dropped since the agent started (outbox full or expired), integer ≥ 0. */
  dropped?: number;
}

/**
 * Retained message on the `state` topic: the birth `{online: true, …}` published on connect, and the last
 * will `{online: false}` the broker publishes when the gateway disappears.
 */
export interface StateMessage {
  /** Whether the gateway agent is connected. */
  online: boolean;
  /** When the state was produced, integer epoch ms UTC (absent in the last will). */
  ts?: number;
  /** The agent publishing. */
  agent?: AgentInfo;
  /** The configured inputs. */
  inputs?: InputState[];
  /** The outbox counters. */
  outbox?: OutboxState;
}

/** Gateway's answer on `config/ack` after it received a config. */
export interface ConfigAck {
  /** Version of the config being acknowledged, copied from the config: integer ≥ 0 or non-empty string. */
  version: number | string;
  /** True when the config was applied, false when it was refused (the old config stays in force). */
  ok: boolean;
  /** Why the config was refused; meant for people, not parsed. */
  error?: string;
}
