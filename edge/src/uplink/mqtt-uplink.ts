import { Buffer } from 'node:buffer';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { encodeConfigAck, encodeState, topics, type ConfigAck, type StateMessage } from '@ioc/protocol';
import type { Outbox } from '../outbox/outbox.js';
import { Backoff } from './backoff.js';
import { createClient, type BrokerEndpoint } from './connection.js';
import { runLane, wait, type Batching, type LaneContext, type LaneCounters } from './lanes.js';

/** The birth message's body: a StateMessage without `online`, plus the clock skew when it is beyond the limit. */
export type BirthBody = Omit<StateMessage, 'online'> & { clockSkewMs?: number };

export interface UplinkOptions {
  endpoint: BrokerEndpoint;
  site: string;
  gateway: string;
  outbox: Outbox;
  log: Logger;
  batching: Batching;
  keepaliveSec: number;
  connectTimeoutMs: number;
  /** Reconnect delays, see Backoff. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** The birth message's body; sent retained on every connect and on publishBirth(). */
  birth: () => BirthBody;
  /** Each payload received on the gateway's `config` topic (retained; empty payloads included). */
  onConfig?: (payload: Buffer) => void;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

export interface UplinkStats extends LaneCounters {
  connected: boolean;
  /** Connection attempts, successful or not. */
  connectAttempts: number;
  /** Attempts that ended without a session, and sessions lost. */
  disconnects: number;
}

export interface Uplink {
  stats(): UplinkStats;
  /** New batch shaping, from the next batch on. */
  setBatching(batching: Batching): void;
  /** Re-sends the birth now if connected (inputs or clock skew changed). */
  publishBirth(): void;
  /** Publishes a config ack (QoS 1); false if not connected (the retained config comes again on reconnect). */
  publishConfigAck(ack: ConfigAck): Promise<boolean>;
  /**
   * Waits up to drainMs for the outbox to empty while connected, then publishes {online:false} and disconnects.
   * No publish happens after it resolves.
   */
  stop(drainMs?: number): Promise<void>;
}

/** A birth payload: the contract's StateMessage (validated by encodeState) plus the optional `clockSkewMs`. */
export function encodeBirth(body: BirthBody, ts: number): Buffer {
  const { clockSkewMs, ...state } = body;
  const encoded = encodeState({ ...state, online: true, ts });
  if (clockSkewMs === undefined) return encoded;
  return Buffer.from(JSON.stringify({ ...(JSON.parse(encoded.toString('utf8')) as object), clockSkewMs }));
}

/** One connection attempt and, once connected, its session. */
interface Connection {
  readonly client: MqttClient;
  open: boolean;
  /** Resolves when this connection closes. */
  readonly closed: Promise<void>;
  close(): void;
  lanes: Promise<void>[];
}

function track(client: MqttClient): Connection {
  let resolve!: () => void;
  const closed = new Promise<void>((r) => (resolve = r));
  const conn: Connection = {
    client,
    open: false,
    closed,
    lanes: [],
    close() {
      conn.open = false;
      resolve();
    },
  };
  return conn;
}

/**
 * The gateway's MQTT session: persistent (clean=false, client id = gateway id), a retained birth on every connect,
 * the retained last will {online:false}, QoS 1 telemetry in two lanes (see lanes.ts), and its own reconnection with
 * jittered exponential backoff (a fresh client per attempt: the outbox, not mqtt.js' in-memory store, holds what
 * is unacknowledged, so nothing is sent twice by two mechanisms).
 */
export function startUplink(opts: UplinkOptions): Uplink {
  const { outbox, log } = opts;
  const counters: LaneCounters = { messagesSent: 0, readingsSent: 0, historicalReadingsSent: 0, refusedReadings: 0, lastSeq: 0 };
  const stats = { connected: false, connectAttempts: 0, disconnects: 0 };
  const topic = {
    telemetry: topics.telemetry(opts.site, opts.gateway),
    state: topics.state(opts.site, opts.gateway),
    config: topics.config(opts.site, opts.gateway),
    ack: topics.configAck(opts.site, opts.gateway),
  };
  const backoff = new Backoff(opts.reconnectMinMs, opts.reconnectMaxMs, opts.random);
  let batching = { ...opts.batching };
  let stopping = false;
  let current: Connection | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempting: Promise<void> | undefined;
  /** True from a failed attempt until the next successful connection (quiets repeated errors). */
  let failing = false;
  /**
   * Readings below this position are the backlog of the next connection: at start, what a previous run left; after
   * an outage (a failed attempt or a lost session), everything queued until the link came back.
   */
  let liveFrom = outbox.end();
  let linkWasDown = false;

  const publishBirth = (conn: Connection): void => {
    conn.client.publish(topic.state, encodeBirth(opts.birth(), Date.now()), { qos: 1, retain: true }, (err) => {
      if (err && conn.open) log.warn({ err: err.message }, 'birth message not sent');
    });
  };

  const laneContext = (conn: Connection): LaneContext => ({
    outbox,
    log,
    counters,
    batching: () => batching,
    isOpen: () => conn.open && !stopping,
    closed: conn.closed,
    publish: (payload) =>
      Promise.race([conn.client.publishAsync(topic.telemetry, payload, { qos: 1 }).then(() => true), conn.closed.then(() => false)]).catch((err: Error) => {
        log.warn({ err: err.message }, 'telemetry not acknowledged; it stays in the outbox');
        return false;
      }),
  });

  const onConnect = (conn: Connection): void => {
    conn.open = true;
    failing = false;
    stats.connected = true;
    backoff.reset();
    if (linkWasDown) liveFrom = outbox.end();
    linkWasDown = false;
    log.info({ url: opts.endpoint.url, backlog: outbox.stats().pending }, 'uplink connected');
    publishBirth(conn);
    if (opts.onConfig) {
      conn.client.on('message', (t, payload) => {
        if (t === topic.config) opts.onConfig?.(payload);
      });
      conn.client.subscribe(topic.config, { qos: 1 }, (err) => {
        if (err && conn.open) log.warn({ err: err.message }, 'config subscription refused');
      });
    }
    const ctx = laneContext(conn);
    conn.lanes = [runLane('backlog', 0, liveFrom, ctx), runLane('live', liveFrom, undefined, ctx)].map((lane) =>
      lane.catch((err: unknown) => {
        log.error({ err }, 'uplink lane failed; reconnecting');
        conn.client.end(true);
      }),
    );
  };

  const scheduleRetry = (wasOpen: boolean): void => {
    linkWasDown = true;
    stats.connected = false;
    stats.disconnects += 1;
    if (stopping) return;
    const delayMs = backoff.next();
    if (wasOpen) log.warn({ retryInMs: delayMs }, 'uplink disconnected; readings wait in the outbox');
    else log.debug({ retryInMs: delayMs }, 'uplink connection failed; retrying');
    retry = setTimeout(() => {
      attempting = attempt();
    }, delayMs);
  };

  const onClose = (conn: Connection): void => {
    if (current !== conn) return;
    const wasOpen = conn.open;
    conn.close();
    current = undefined;
    conn.client.end(true);
    scheduleRetry(wasOpen);
  };

  const attempt = async (): Promise<void> => {
    retry = undefined;
    if (stopping) return;
    stats.connectAttempts += 1;
    let client: MqttClient;
    try {
      client = await createClient(opts.endpoint, {
        clientId: opts.gateway,
        clean: false,
        keepalive: opts.keepaliveSec,
        connectTimeout: opts.connectTimeoutMs,
        will: { topic: topic.state, payload: encodeState({ online: false }), qos: 1, retain: true },
      });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cannot prepare the MQTT connection (password or TLS files?)');
      scheduleRetry(false);
      return;
    }
    if (stopping) {
      client.end(true);
      return;
    }
    const conn = track(client);
    current = conn;
    client.on('connect', () => onConnect(conn));
    client.on('error', (err) => {
      // Once per outage at warn; the retries that follow go to debug.
      const level = conn.open || !failing ? 'warn' : 'debug';
      failing = true;
      log[level]({ err: err.message, code: (err as { code?: unknown }).code }, 'uplink error');
    });
    client.on('close', () => onClose(conn));
  };

  attempting = attempt();

  return {
    stats: () => ({ ...counters, ...stats }),
    setBatching(next) {
      batching = { ...next };
    },
    publishBirth() {
      if (current?.open && !stopping) publishBirth(current);
    },
    async publishConfigAck(ack) {
      const conn = current;
      if (!conn?.open || stopping) return false;
      return Promise.race([conn.client.publishAsync(topic.ack, encodeConfigAck(ack), { qos: 1 }).then(() => true), conn.closed.then(() => false)]).catch(() => false);
    },
    async stop(drainMs = 0) {
      const deadline = Date.now() + drainMs;
      while (current?.open && outbox.stats().pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      stopping = true;
      clearTimeout(retry);
      await attempting;
      const conn = current;
      if (!conn) return;
      if (conn.open) {
        const offline = conn.client.publishAsync(topic.state, encodeState({ online: false, ts: Date.now() }), { qos: 1, retain: true });
        await Promise.race([offline.catch(() => undefined), wait(1000, conn.closed)]);
      }
      await Promise.race([conn.client.endAsync(false).catch(() => undefined), wait(1000, conn.closed)]);
      conn.client.end(true);
      conn.close();
      await Promise.all(conn.lanes);
    },
  };
}
