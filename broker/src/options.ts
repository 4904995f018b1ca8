import type { Logger } from 'pino';
import type { CredentialVerifier } from './auth/principal.js';
import { BrokerError, BrokerErrorCode } from './errors.js';

/** Per-client and per-address limits. Every refusal they cause is counted by reason (refusals.ts). */
export interface BrokerLimits {
  /**
   * Largest MQTT packet accepted, bytes of remaining length (the payload cap of docs/protocol.md,
   * 256 KiB, plus 1 KiB for topic and header). Checked on the length prefix, before anything is
   * buffered. Until CONNECT is accepted the cap is 16 KiB.
   */
  maxPacketBytes: number;
  /** Sustained PUBLISH rate per client, messages/s (token-bucket refill). */
  publishRatePerSec: number;
  /** PUBLISHes a client may send at once above the rate (bucket size). */
  publishBurst: number;
  /**
   * A PUBLISH arriving with an empty bucket is held back (back-pressure: its PUBACK waits, the
   * socket is not read meanwhile) until its token is due; if that is more than this many ms away it
   * is refused instead (`rate_limited`).
   */
  maxThrottleMs: number;
  /** QoS 1/2 PUBLISHes of one client received and not yet routed; one more is refused (`inflight_exceeded`). */
  maxInflight: number;
  /** New connections accepted per source address, per second (token bucket); more → `connect_rate`. */
  connectRatePerSec: number;
  /** Connections a source address may open at once above the rate. */
  connectBurst: number;
  /** From TCP accept to a complete CONNECT (TLS handshake included), ms; later → `connect_timeout`. */
  connectTimeoutMs: number;
  /** Keep-alive a client may ask for, seconds; 0 or outside [min, max] → CONNACK 2 (`keepalive_out_of_bounds`). */
  keepaliveMinSec: number;
  keepaliveMaxSec: number;
  /**
   * Messages held per persistent session (queued while offline plus sent and awaiting PUBACK). When a
   * session is full, a QoS 1 PUBLISH that would be queued for it is refused before its PUBACK
   * (`queue_full`): nothing acknowledged is ever dropped. A queue may pass the limit by the
   * PUBLISHes already in flight when it filled.
   */
  queueLimit: number;
}

export const DEFAULT_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPacketBytes: 256 * 1024 + 1024,
  publishRatePerSec: 100,
  publishBurst: 500,
  maxThrottleMs: 2000,
  maxInflight: 100,
  connectRatePerSec: 20,
  connectBurst: 200,
  connectTimeoutMs: 10_000,
  keepaliveMinSec: 5,
  keepaliveMaxSec: 1200,
  queueLimit: 10_000,
});

/**
 * Deliveries mqemitter runs at once before queueing (its default, 100, makes it shift() from an
 * array per message under load). In-flight deliveries are bounded by the clients anyway: aedes
 * reads a client's next packets only once its previous ones are delivered.
 */
export const MQ_CONCURRENCY = 100_000;

/** The TLS listener (MQTT over TLS, conventionally port 8883). */
export interface TlsListenerOptions {
  /** 0 picks a free port. */
  port: number;
  /** PEM files of the broker's certificate chain and private key. */
  certFile: string;
  keyFile: string;
  /** PEM file of the CA that signs client certificates; when set, clients are asked for one. */
  caFile?: string;
  /** Fail the TLS handshake of a client without a certificate signed by `caFile`. Default false. */
  requireClientCert?: boolean;
  /**
   * A client certificate signed by `caFile` authenticates its account: the username is the
   * certificate's subject CN, no password is needed (one sent is ignored; a username sent must equal
   * the CN). Needs CredentialVerifier.lookup. Default false: certificates only gate the handshake.
   */
  certAuth?: boolean;
}

export interface BrokerOptions {
  /** TCP port for MQTT; 0 picks a free one. */
  port: number;
  /** Interface to bind every listener to; default 127.0.0.1 (a deployment binds 0.0.0.0 deliberately). */
  host?: string;
  /** A TLS listener beside the TCP one. */
  tls?: TlsListenerOptions;
  credentials: CredentialVerifier;
  /** Structured logs; the broker never logs passwords, and logs refusals at most a few times per reason per 10 s. */
  log: Logger;
  /** Overrides of DEFAULT_LIMITS. */
  limits?: Partial<BrokerLimits>;
  /** Port of the Prometheus endpoint `GET /metrics` on `host`; 0 picks a free one; absent = none. */
  metricsPort?: number;
  /**
   * Cluster mode: a Redis URL (`redis://host:port/db`) shared by every broker node. Sessions,
   * subscriptions, retained messages and QoS 1 queues live there, and messages are routed between
   * nodes through it. Absent: everything is in this process's memory.
   */
  redisUrl?: string;
  /** How often every connected account is checked with credentials.isRevoked, ms. Default 5000. */
  revocationCheckMs?: number;
  /** Longest close() waits for QoS 1 messages in flight to be routed and acknowledged, ms. Default 5000. */
  shutdownGraceMs?: number;
}

/** BrokerOptions after validation: every default applied, frozen. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly tls: Readonly<TlsListenerOptions> | undefined;
  readonly limits: Readonly<BrokerLimits>;
  readonly metricsPort: number | undefined;
  readonly redisUrl: string | undefined;
  readonly revocationCheckMs: number;
  readonly shutdownGraceMs: number;
}

function fail(path: string, message: string): never {
  throw new BrokerError(BrokerErrorCode.CONFIG, `${path}: ${message}`);
}

function checkInt(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `must be an integer in ${min}…${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkPositive(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(path, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function resolveLimits(partial: Partial<BrokerLimits> | undefined): BrokerLimits {
  const l = { ...DEFAULT_LIMITS, ...partial };
  checkInt('limits.maxPacketBytes', l.maxPacketBytes, 64, 268_435_455); // [MQTT-2.2.3] 4-byte remaining length
  checkPositive('limits.publishRatePerSec', l.publishRatePerSec);
  checkInt('limits.publishBurst', l.publishBurst, 1, 1e9);
  checkInt('limits.maxThrottleMs', l.maxThrottleMs, 0, 3_600_000);
  checkInt('limits.maxInflight', l.maxInflight, 1, 65_535);
  checkPositive('limits.connectRatePerSec', l.connectRatePerSec);
  checkInt('limits.connectBurst', l.connectBurst, 1, 1e9);
  checkInt('limits.connectTimeoutMs', l.connectTimeoutMs, 1, 3_600_000);
  checkInt('limits.keepaliveMinSec', l.keepaliveMinSec, 1, 65_535);
  checkInt('limits.keepaliveMaxSec', l.keepaliveMaxSec, l.keepaliveMinSec, 65_535); // [MQTT-3.1.2.10] 16-bit
  checkInt('limits.queueLimit', l.queueLimit, 1, 1e9);
  return l;
}

function resolveTls(tls: TlsListenerOptions | undefined): TlsListenerOptions | undefined {
  if (!tls) return undefined;
  checkInt('tls.port', tls.port, 0, 65_535);
  if (!tls.certFile) fail('tls.certFile', 'is required');
  if (!tls.keyFile) fail('tls.keyFile', 'is required');
  if ((tls.requireClientCert || tls.certAuth) && !tls.caFile) fail('tls.caFile', 'is required for client certificates');
  return Object.freeze({ ...tls });
}

/** Validates `opts` (errors name the option's path, IOC_ERR_BROKER_CONFIG) and applies the defaults. */
export function resolveOptions(opts: BrokerOptions): ResolvedOptions {
  checkInt('port', opts.port, 0, 65_535);
  if (opts.metricsPort !== undefined) checkInt('metricsPort', opts.metricsPort, 0, 65_535);
  if (opts.redisUrl !== undefined && !/^rediss?:\/\//.test(opts.redisUrl)) fail('redisUrl', 'must start with redis:// or rediss://');
  if (typeof opts.credentials?.verify !== 'function') fail('credentials.verify', 'must be a function');
  return Object.freeze({
    port: opts.port,
    host: opts.host ?? '127.0.0.1',
    tls: resolveTls(opts.tls),
    limits: Object.freeze(resolveLimits(opts.limits)),
    metricsPort: opts.metricsPort,
    redisUrl: opts.redisUrl,
    revocationCheckMs: checkInt('revocationCheckMs', opts.revocationCheckMs ?? 5000, 10, 3_600_000),
    shutdownGraceMs: checkInt('shutdownGraceMs', opts.shutdownGraceMs ?? 5000, 0, 600_000),
  });
}
