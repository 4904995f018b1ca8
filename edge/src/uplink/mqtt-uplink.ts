import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { encodeState, encodeTelemetry, topics, type StateMessage } from '@ioc/protocol';
import type { Outbox } from '../outbox/outbox.js';

export interface UplinkOptions {
  /** Broker URL, e.g. mqtt://ioc.example.vn:1883 */
  url: string;
  username: string;
  password: string;
  site: string;
  gateway: string;
  outbox: Outbox;
  log: Logger;
  /** Readings per telemetry message, at most. */
  maxBatchReadings: number;
  /** How long to wait for more readings before sending a partial batch, ms. */
  lingerMs: number;
  keepaliveSec: number;
  /** The birth message's body (agent version, inputs); sent retained on every (re)connect. */
  birth: () => Omit<StateMessage, 'online'>;
}

export interface UplinkStats {
  connected: boolean;
  messagesSent: number;
  readingsSent: number;
  /** The seq of the last acknowledged telemetry message. */
  lastSeq: number;
}

export interface Uplink {
  stats(): UplinkStats;
  /** Sends what is pending (bounded by timeoutMs), publishes {online:false} and disconnects. */
  stop(timeoutMs?: number): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The gateway's MQTT session: persistent (clean=false, client id = gateway id), a retained birth on
 * every connect and the retained last will {online:false}. Telemetry leaves the outbox in QoS 1
 * batches and is committed only when the PUBACK arrives; while the link is down readings stay in the
 * outbox, and mqtt.js resends an unacknowledged batch after reconnecting.
 */
export function startUplink(opts: UplinkOptions): Uplink {
  const { outbox, log } = opts;
  const stats: UplinkStats = { connected: false, messagesSent: 0, readingsSent: 0, lastSeq: 0 };
  const telemetryTopic = topics.telemetry(opts.site, opts.gateway);
  const stateTopic = topics.state(opts.site, opts.gateway);
  let stopping = false;

  const client: MqttClient = mqtt.connect(opts.url, {
    clientId: opts.gateway,
    username: opts.username,
    password: opts.password,
    clean: false,
    protocolVersion: 4,
    keepalive: opts.keepaliveSec,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    will: { topic: stateTopic, payload: encodeState({ online: false }), qos: 1, retain: true },
  });
  client.on('connect', () => {
    stats.connected = true;
    log.info({ url: opts.url }, 'uplink connected');
    const birth = encodeState({ ...opts.birth(), online: true, ts: Date.now() });
    client.publish(stateTopic, birth, { qos: 1, retain: true }, (err) => {
      if (err) log.warn({ err: err.message }, 'birth message not sent');
    });
  });
  client.on('close', () => {
    if (stats.connected && !stopping) log.warn('uplink disconnected; readings wait in the outbox');
    stats.connected = false;
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'uplink error'));

  async function sendOne(): Promise<void> {
    const readings = outbox.peek(opts.maxBatchReadings);
    if (readings.length === 0) return;
    const seq = stats.lastSeq + 1;
    // Resolves on PUBACK; across a reconnect mqtt.js resends the same packet id on the persistent session.
    await client.publishAsync(telemetryTopic, encodeTelemetry({ seq, readings }), { qos: 1 });
    outbox.commit(readings.length);
    stats.lastSeq = seq;
    stats.messagesSent += 1;
    stats.readingsSent += readings.length;
  }

  const loop = (async () => {
    while (!stopping) {
      await outbox.whenPending();
      if (stopping) break;
      if (outbox.stats().pending < opts.maxBatchReadings) await sleep(opts.lingerMs);
      try {
        await sendOne();
      } catch (err) {
        if (stopping) break;
        log.warn({ err: (err as Error).message }, 'telemetry not acknowledged; will retry');
        await sleep(1000);
      }
    }
  })();

  return {
    stats: () => ({ ...stats }),
    async stop(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (client.connected && outbox.stats().pending > 0 && Date.now() < deadline) await sleep(50);
      stopping = true;
      outbox.close();
      if (client.connected) {
        await Promise.race([
          client.publishAsync(stateTopic, encodeState({ online: false, ts: Date.now() }), { qos: 1, retain: true }),
          sleep(Math.max(0, deadline - Date.now())),
        ]).catch(() => undefined);
      }
      await client.endAsync(true);
      await Promise.race([loop, sleep(1000)]);
    },
  };
}
