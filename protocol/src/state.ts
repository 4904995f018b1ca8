/**
 * Codecs of the small control payloads: StateMessage (`state` topic) and ConfigAck (`config/ack` topic).
 * Same byte layer and error codes as telemetry; unknown properties are dropped on decode and on encode.
 */
import type { Buffer } from 'node:buffer';
import { IocError, ok, type Result } from './errors.js';
import {
  type AgentInfo,
  type ConfigAck,
  type InputState,
  type OutboxState,
  type StateMessage,
} from './payloads.js';
import { schemaError, schemaErrors, type FieldHints } from './schema-errors.js';
import { parsePayload, serialize } from './wire.js';
import { ConfigAckSchema, StateMessageSchema, checkConfigAck, checkStateMessage } from './validators.generated.js';


const stateHints: FieldHints = new Map([
  ['', 'state message {online, ts?, agent?, inputs?, outbox?}'],
  ['/online', 'whether the gateway agent is connected'],
  ['/ts', 'epoch milliseconds'],
  ['/agent', 'agent {name?, version}'],
  ['/agent/name', 'agent program name'],
  ['/agent/version', 'agent version'],
  ['/inputs', 'configured inputs'],
  ['/inputs/*', 'input {id, driver, sensors?}'],
  ['/inputs/*/id', 'input id'],
  ['/inputs/*/driver', 'driver name'],
  ['/inputs/*/sensors', 'sensor ids'],
  ['/inputs/*/sensors/*', 'sensor id'],
  ['/outbox', 'outbox {pending?, dropped?}'],
  ['/outbox/pending', 'readings waiting to be published'],
  ['/outbox/dropped', 'readings dropped'],
]);

const ackHints: FieldHints = new Map([
  ['', 'config ack {version, ok, error?}'],
  ['/version', 'config version: an integer >= 0 or a non-empty string'],
  ['/ok', 'true when the config was applied'],
  ['/error', 'why the config was refused'],
]);

/**
 * Decodes a `state` payload (size, UTF-8, JSON, schema). Unknown properties are dropped at every level.
 * An empty retained payload (which clears the retained message) fails with IOC_ERR_PAYLOAD_JSON: callers
 * that care should test for zero length first. Never throws.
 */
export function decodeState(payload: Uint8Array | string): Result<StateMessage> {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return parsed;
  const wire = parsed.value;
  if (!checkStateMessage(wire)) return { ok: false, error: schemaError(schemaErrors(StateMessageSchema, wire), stateHints) };
  return ok(pickState(wire));
}

/** Encodes a StateMessage (contract fields only). Throws IocError for a message decodeState would refuse. */
export function encodeState(state: StateMessage): Buffer {
  if (!checkStateMessage(state)) throw new IocError(schemaError(schemaErrors(StateMessageSchema, state), stateHints));
  return serialize(pickState(state));
}

/** Decodes a `config/ack` payload (size, UTF-8, JSON, schema); unknown properties are dropped. Never throws. */
export function decodeConfigAck(payload: Uint8Array | string): Result<ConfigAck> {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return parsed;
  const wire = parsed.value;
  if (!checkConfigAck(wire)) return { ok: false, error: schemaError(schemaErrors(ConfigAckSchema, wire), ackHints) };
  return ok(pickAck(wire));
}

/** Encodes a ConfigAck (contract fields only). Throws IocError for an ack decodeConfigAck would refuse. */
export function encodeConfigAck(ack: ConfigAck): Buffer {
  if (!checkConfigAck(ack)) throw new IocError(schemaError(schemaErrors(ConfigAckSchema, ack), ackHints));
  return serialize(pickAck(ack));
}

function pickState(s: StateMessage): StateMessage {
  const out: StateMessage = { online: s.online };
  if (s.ts !== undefined) out.ts = s.ts;
  if (s.agent !== undefined) out.agent = pickAgent(s.agent);
  if (s.inputs !== undefined) out.inputs = s.inputs.map(pickInput);
  if (s.outbox !== undefined) out.outbox = pickOutbox(s.outbox);
  return out;
}

function pickAgent(a: AgentInfo): AgentInfo {
  const out: AgentInfo = { version: a.version };
  if (a.name !== undefined) out.name = a.name;
  return out;
}

function pickInput(i: InputState): InputState {
  const out: InputState = { id: i.id, driver: i.driver };
  if (i.sensors !== undefined) out.sensors = [...i.sensors];
  return out;
}

function pickOutbox(o: OutboxState): OutboxState {
  const out: OutboxState = {};
  if (o.pending !== undefined) out.pending = o.pending;
  if (o.dropped !== undefined) out.dropped = o.dropped;
  return out;
}

function pickAck(a: ConfigAck): ConfigAck {
  const out: ConfigAck = { version: a.version, ok: a.ok };
  if (a.error !== undefined) out.error = a.error;
  return out;
}
