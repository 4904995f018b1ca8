import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { decodeState, decodeTelemetry, filters, parseTopic, type ProtocolError } from '@ioc/protocol';
import type { StoredReading, TelemetryStore } from '../store/telemetry-store.js';
import { GatewayStatusBoard } from './gateway-status.js';

export interface IngestOptions {
  /** e.g. mqtt://127.0.0.1:1883 */
  mqttUrl: string;
  username: string;
  password: string;
  /** Stable across restarts: the broker keeps this persistent session's queue while ingest is away. */
  clientId?: string;
  store: TelemetryStore;
  log: Logger;
  /** First retry delay after a retryable store error; doubles up to maxRetryDelayMs, with full jitter. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  now?: () => number;
}

export interface IngestStats {
  messages: number;
  readings: number;
  rejected: number;
  storeRetries: number;
  connected: boolean;
}

export interface Ingest {
  readonly status: GatewayStatusBoard;
  stats(): IngestStats;
  /** Last rejected messages (newest first), for the operator; bounded. */
  rejections(): Rejection[];
  close(): Promise<void>;
}

/** A message that was acknowledged but not stored, and why. */
export interface Rejection {
  topic: string;
  code: string;
  message: string;
  path: string;
  /** Epoch ms of arrival. */
  at: number;
}

const REJECTIONS_KEPT = 100;

/**
 * Subscribes to every gateway's telemetry and state with a persistent session and writes readings to
 * the store. The PUBACK of a telemetry message is sent only after its readings are written
 * (mqtt.js sends it when handleMessage calls back), so a crash or a store outage never loses an
 * acknowledged reading: the broker redelivers, and the store's idempotent points absorb duplicates.
 */
export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const log = opts.log;
  const now = opts.now ?? Date.now;
  const status = new GatewayStatusBoard();
  const stats: IngestStats = { messages: 0, readings: 0, rejected: 0, storeRetries: 0, connected: false };
  const rejected: Rejection[] = [];
  let closing = false;

  const reject = (topic: string, error: Pick<ProtocolError, 'message' | 'path'> & { code: string }): void => {
    stats.rejected += 1;
    rejected.unshift({ topic, code: error.code, message: error.message, path: error.path, at: now() });
    rejected.length = Math.min(rejected.length, REJECTIONS_KEPT);
    log.warn({ topic, code: error.code, path: error.path }, `message rejected: ${error.message}`);
  };

  async function writeWithRetry(readings: StoredReading[]): Promise<void> {
    let delay = opts.retryDelayMs ?? 250;
    for (;;) {
      try {
        await opts.store.write(readings);
        return;
      } catch (err) {
        const e = err as { code?: string; retryable?: boolean; message?: string };
        if (!e.retryable || closing) throw err;
        stats.storeRetries += 1;
        log.warn({ code: e.code, delayMs: delay }, `store unavailable, holding the message: ${e.message}`);
        await new Promise((r) => setTimeout(r, Math.random() * delay));
        delay = Math.min(delay * 2, opts.maxRetryDelayMs ?? 10_000);
      }
    }
  }

  async function handle(packet: IPublishPacket): Promise<void> {
    const topic = parseTopic(packet.topic);
    if (!topic.ok) return reject(packet.topic, topic.error);
    const { site, gateway, kind } = topic.value;
    const payload = packet.payload as Buffer;
    if (kind === 'state') {
      if (payload.length === 0) return; // an empty retained message only clears the retained state
      const state = decodeState(payload);
      if (!state.ok) return reject(packet.topic, state.error);
      status.onState(site, gateway, state.value, now());
      return;
    }
    if (kind !== 'telemetry') return;
    const batch = decodeTelemetry(payload);
    if (!batch.ok) return reject(packet.topic, batch.error);
    stats.messages += 1;
    status.onTelemetry(site, gateway, now());
    try {
      await writeWithRetry(batch.value.readings.map((r) => ({ ...r, site, gateway })));
    } catch (err) {
      const e = err as { code?: string; retryable?: boolean; message?: string };
      if (e.retryable || closing) throw err;
      // The store refused the data itself (e.g. a type conflict): retrying cannot help.
      return reject(packet.topic, { code: e.code ?? 'IOC_ERR_STORE_BAD_DATA', message: e.message ?? String(err), path: '' });
    }
    stats.readings += batch.value.readings.length;
  }

  const client: MqttClient = await mqtt.connectAsync(opts.mqttUrl, {
    clientId: opts.clientId ?? opts.username,
    username: opts.username,
    password: opts.password,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  client.handleMessage = (packet, callback) => {
    handle(packet).then(
      () => callback(),
      // Not acknowledged: the broker keeps the message and redelivers it on the next session.
      (err: unknown) => {
        log.warn({ err, topic: packet.topic }, 'ingest stopping; message left unacknowledged for redelivery');
      },
    );
  };
  client.on('connect', () => { stats.connected = true; });
  client.on('close', () => { stats.connected = false; });
  client.on('error', (err) => log.warn({ err: err.message }, 'ingest mqtt error'));
  stats.connected = client.connected;
  const granted = await client.subscribeAsync([filters.allTelemetry, filters.allState], { qos: 1 });
  const refusedSub = granted.filter((g) => g.qos === 128);
  if (refusedSub.length > 0) {
    await client.endAsync(true);
    throw new Error(`broker refused ingest subscriptions: ${refusedSub.map((g) => g.topic).join(', ')}`);
  }
  log.info({ url: opts.mqttUrl, clientId: client.options.clientId }, 'ingest subscribed');

  return {
    status,
    stats: () => ({ ...stats }),
    rejections: () => rejected.slice(),
    async close() {
      closing = true;
      await client.endAsync();
    },
  };
}
