import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { AedesPersistence, InternalClient } from './aedes-internals.js';
import { startRevocationChecks } from './auth/revocation.js';
import type { Totals } from './client-state.js';
import { BrokerErrorCode } from './errors.js';
import { brokerHooks, type BrokerHooks } from './hooks.js';
import { AddressGate } from './limits/address-gate.js';
import { coalesceWrites } from './limits/coalesce.js';
import { lightenClient, limitParser } from './limits/framing.js';
import { listenTcp, listenTls, type Listener } from './listeners.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { serveMetrics, type MetricsServer } from './metrics/http.js';
import { MQ_CONCURRENCY, resolveOptions, type BrokerOptions, type ResolvedOptions } from './options.js';
import type { DisconnectReason, RefusalReason } from './refusals.js';
import { memorySessions } from './sessions/memory.js';
import type { SessionStore } from './sessions/queues.js';
import { redisSessions } from './sessions/redis.js';

export interface BrokerStats {
  /** Clients connected now. */
  connected: number;
  /** Connections admitted since start. */
  admitted: number;
  refusals: Record<RefusalReason, number>;
  disconnects: Record<DisconnectReason, number>;
  /** PUBLISHes accepted from clients since start, all QoS. */
  publishedIn: number;
  /** PUBLISHes accepted, by QoS [0, 1, 2]. */
  messagesIn: number[];
  /** Messages written to subscribers, by QoS [0, 1, 2]. */
  messagesOut: number[];
  /** PUBLISHes held back by the rate limit, then accepted. */
  throttled: number;
  /** QoS ≥ 1 PUBLISHes received and not yet routed, now. */
  inflight: number;
  /** QoS ≥ 1 messages written and not yet acknowledged, now. */
  unacknowledged: number;
  /** Messages held in persistent sessions (cluster mode: as seen by this node). */
  queued: number;
  /** Persistent sessions at their queue limit. */
  sessionsFull: number;
}

export interface RunningBroker {
  /** This node's id (distinct per node in cluster mode). */
  readonly id: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  readonly tlsPort: number | undefined;
  /** mqtts://host:port, when a TLS listener is configured. */
  readonly tlsUrl: string | undefined;
  /** http://host:port/metrics, when metricsPort is set. */
  readonly metricsUrl: string | undefined;
  stats(): BrokerStats;
  /** The Prometheus exposition that GET /metrics serves. */
  metrics(): Promise<string>;
  /**
   * Graceful stop: stops accepting connections and PUBLISHes, waits (at most shutdownGraceMs) until
   * every QoS ≥ 1 message already acknowledged to its publisher is routed and every message written
   * to a subscriber is acknowledged, then closes every connection and the persistence. Safe to call twice.
   */
  close(): Promise<void>;
}

/** aedes' messages for conditions it raises without a code (aedes 1.2, lib/client.js and lib/handlers/index.js). */
const AEDES_CONNECT_TIMEOUT = 'connect did not arrive in time';
const AEDES_OUT_OF_ORDER = 'Invalid protocol';

function publicUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Counts a connection closed by a parse error or a protocol violation; refusals by rule were counted already. */
function classifyError(bh: BrokerHooks, log: Logger, client: Client, err: Error & { code?: string; errorCode?: number }): void {
  if (err.code === BrokerErrorCode.REFUSED) return;
  if (err.errorCode === 1) return bh.refused('unsupported_protocol', client, err.message); // CONNACK 1: only MQTT 3.1 and 3.1.1 [MQTT-3.1.2-2]
  if (err.code === BrokerErrorCode.PACKET_TOO_LARGE) return bh.refused('packet_too_large', client, err.message);
  if (err.code === BrokerErrorCode.MALFORMED) return bh.refused('malformed', client, err.message);
  if (err.message === AEDES_CONNECT_TIMEOUT) return bh.refused('connect_timeout', client);
  if (err.message === AEDES_OUT_OF_ORDER) return bh.refused('malformed', client, 'packet out of protocol order [MQTT-3.1.0-1]');
  log.debug({ clientId: client.id ?? undefined, err: err.message }, 'connection error');
}

/**
 * aedes writes a QoS 1 PUBACK and then publishes. The returned function publishes first (from
 * authorizePublish) and marks the packet, so that aedes' own publish after its PUBACK is a no-op.
 */
function publishBeforeAck(aedes: Aedes): (packet: PublishPacket, client: Client, done: (err?: Error) => void) => void {
  const ROUTED = Symbol('ioc.routed');
  type Marked = PublishPacket & { [ROUTED]?: boolean };
  const original = aedes.publish.bind(aedes) as unknown as (packet: PublishPacket, client: Client | null, done: (err?: Error) => void) => void;
  (aedes as unknown as { publish: unknown }).publish = (packet: Marked, client: unknown, done?: unknown): void => {
    const callback = (typeof client === 'function' ? client : done) as ((err?: Error) => void) | undefined;
    if (packet[ROUTED]) {
      packet[ROUTED] = false;
      return callback?.();
    }
    original(packet, typeof client === 'function' ? null : (client as Client | null), callback ?? (() => {}));
  };
  // Marked before: if routing fails, aedes closes the connection without a PUBACK or a second publish.
  return (packet: Marked, client, done) => {
    packet[ROUTED] = true;
    original(packet, client, done);
  };
}

function watch(aedes: Aedes, bh: BrokerHooks, metrics: BrokerMetrics, log: Logger): void {
  // ids closed in this turn of the event loop: aedes may close a taken-over client before our
  // $SYS listener below runs
  const justClosed = new Set<string>();
  aedes.on('clientDisconnect', (client) => {
    bh.stateOf(client)?.close();
    justClosed.add(client.id);
    setImmediate(() => justClosed.delete(client.id));
  });
  aedes.on('ack', (_packet, client) => bh.stateOf(client)?.acknowledged());
  aedes.on('keepaliveTimeout', () => (metrics.disconnects.keepalive_timeout += 1));
  aedes.on('clientError', (client, err) => classifyError(bh, log, client, err));
  aedes.on('connectionError', (client, err) => classifyError(bh, log, client, err));
  // Persistence failures (Redis down) surface here; without a listener they would crash the process.
  (aedes as EventEmitter).on('error', (err: Error) => log.error({ err: err.message }, 'broker error'));
  // Cluster mode: a client that connects to another node closes its connection here [MQTT-3.1.4-2].
  const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
  aedes.subscribe('$SYS/+/new/clients', (packet, done) => {
    const node = packet.topic.split('/')[1];
    const clientId = packet.payload.toString();
    if (node !== aedes.id && (clients[clientId] || justClosed.has(clientId))) {
      metrics.disconnects.takeover += 1;
      log.warn({ clientId, node }, 'client reconnected to another node: the newer connection wins, this one is closed');
    }
    done();
  }, () => {});
}

async function startListeners(opts: ResolvedOptions, aedes: Aedes, bh: BrokerHooks): Promise<Listener[]> {
  const l = opts.limits;
  const gate = new AddressGate(l.connectRatePerSec, l.connectBurst, () => performance.now());
  const hooks = {
    admit(socket: Socket): boolean {
      if (gate.admit(socket.remoteAddress ?? '')) return true;
      bh.refused('connect_rate', undefined, socket.remoteAddress);
      return false;
    },
    handle(socket: Socket): void {
      const client = aedes.handle(socket) as InternalClient;
      limitParser(client._parser, l.maxPacketBytes);
      lightenClient(client);
      coalesceWrites(socket);
    },
    tlsError(err: Error & { code?: string }, socket: Socket): void {
      const timeout = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
      bh.refused(timeout ? 'connect_timeout' : 'tls_handshake', undefined, `${socket.remoteAddress ?? ''} ${err.message}`);
    },
  };
  const listeners = [await listenTcp(opts.host, opts.port, hooks)];
  try {
    if (opts.tls) listeners.push(await listenTls(opts.host, opts.tls, l.connectTimeoutMs, hooks));
  } catch (err) {
    await Promise.all(listeners.map((x) => x.close()));
    throw err;
  }
  return listeners;
}

/**
 * Starts the MQTT broker: Aedes behind deny-by-default authentication, per-gateway topic rules and
 * limits, on a TCP (and optionally TLS) listener, with Prometheus metrics; in memory, or sharing
 * sessions with other nodes through Redis.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const opts = resolveOptions(options);
  const log = options.log;
  const l = opts.limits;
  const metrics = new BrokerMetrics();
  const totals: Totals = { inflight: 0, outstanding: 0 };
  let closing = false;
  let store: SessionStore | undefined = opts.redisUrl ? await redisSessions(opts.redisUrl, l.queueLimit, log.child({ component: 'redis' })) : undefined;
  let clients: Record<string, Client> = {};
  const bh = brokerHooks({
    limits: l,
    policy: {
      verifier: options.credentials,
      keepaliveMinSec: l.keepaliveMinSec,
      keepaliveMaxSec: l.keepaliveMaxSec,
      certAuth: opts.tls?.certAuth ?? false,
      closing: () => closing,
    },
    metrics,
    totals,
    queues: () => store!.queues,
    log,
    now: () => performance.now(),
    isConnected: (id) => clients[id] !== undefined,
    routeBeforeAck: (packet, client, done) => routeEarly(packet, client, done),
  });

  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker({
      ...bh.hooks,
      ...(store && 'mq' in store ? { persistence: store.persistence, mq: store.mq } : {}),
      connectTimeout: l.connectTimeoutMs,
      maxInflightInbound: l.maxInflight,
      concurrency: MQ_CONCURRENCY,
    });
  } catch (err) {
    await store?.close();
    throw err;
  }
  clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
  const routeEarly = publishBeforeAck(aedes);
  if (!store) {
    const internals = aedes as unknown as { persistence: AedesPersistence };
    store = memorySessions(internals.persistence, aedes.id, l.queueLimit);
    internals.persistence = store.persistence;
  }
  const sessions = store;
  watch(aedes, bh, metrics, log);

  let listeners: Listener[];
  let metricsServer: MetricsServer | undefined;
  const render = async (): Promise<string> =>
    metrics.render({
      connections: aedes.connectedClients,
      inflight: totals.inflight,
      outstanding: totals.outstanding,
      queued: sessions.queues.totalQueued(),
      sessionsFull: sessions.queues.fullCount,
      retained: await sessions.queues.retainedCount(),
    });
  try {
    listeners = await startListeners(opts, aedes, bh);
    if (opts.metricsPort !== undefined) metricsServer = await serveMetrics(opts.host, opts.metricsPort, render);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await sessions.close();
    throw err;
  }

  const sampler = setInterval(() => metrics.sample(Date.now()), 1000);
  sampler.unref();
  const verifier = options.credentials;
  const revocation = verifier.isRevoked
    ? startRevocationChecks({
        intervalMs: opts.revocationCheckMs,
        isRevoked: (username) => verifier.isRevoked!(username),
        connected: function* () {
          for (const client of Object.values(clients)) {
            const st = bh.stateOf(client);
            if (st && !client.closed) yield { username: st.username, disconnect: () => client.close() };
          }
        },
        onRevoked(username) {
          metrics.disconnects.revoked += 1;
          log.warn({ clientId: username }, 'account revoked while connected: disconnected');
        },
        onError: (username, err) => log.warn({ clientId: username, err: String(err) }, 'revocation check failed'),
      })
    : undefined;

  const [tcp, tls] = listeners;
  log.info({ host: opts.host, port: tcp!.port, tlsPort: tls?.port, metrics: metricsServer?.url, cluster: opts.redisUrl !== undefined, id: aedes.id }, 'mqtt broker listening');

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    revocation?.stop();
    clearInterval(sampler);
    for (const x of listeners) x.stop();
    const settled = await waitUntil(() => totals.inflight <= 0 && totals.outstanding <= 0, opts.shutdownGraceMs);
    log.info({ settled, inflight: totals.inflight, unacknowledged: totals.outstanding }, settled ? 'in-flight messages settled; closing connections' : 'shutdown grace elapsed; closing connections');
    metrics.disconnects.shutdown += aedes.connectedClients;
    bh.releaseHeld();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(listeners.map((x) => x.close()));
    await sessions.close();
    await metricsServer?.close();
    log.info('mqtt broker stopped');
  }

  return {
    id: aedes.id,
    port: tcp!.port,
    url: publicUrl('mqtt', opts.host, tcp!.port),
    tlsPort: tls?.port,
    tlsUrl: tls ? publicUrl('mqtts', opts.host, tls.port) : undefined,
    metricsUrl: metricsServer?.url,
    stats: () => ({
      connected: aedes.connectedClients,
      admitted: metrics.admitted,
      refusals: { ...metrics.refusals },
      disconnects: { ...metrics.disconnects },
      publishedIn: metrics.messagesIn.reduce((a, b) => a + b, 0),
      messagesIn: [...metrics.messagesIn],
      messagesOut: [...metrics.messagesOut],
      throttled: metrics.throttled,
      inflight: totals.inflight,
      unacknowledged: totals.outstanding,
      queued: sessions.queues.totalQueued(),
      sessionsFull: sessions.queues.fullCount,
    }),
    metrics: render,
    close: () => (closed ??= shutdown()),
  };
}
