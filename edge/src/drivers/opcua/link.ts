import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DriverLogger } from '../../driver.js';
import type { OpcuaConnectionConfig } from './connection-config.js';
import { UaClient, type SubscriptionInfo } from './ua/client.js';
import { isUaError } from './ua/errors.js';
import { ownCertificate } from './ua/pki.js';
import { statusName } from './ua/status-codes.js';
import { BUILTIN_TYPE_NAMES, type DataValue } from './ua/variant.js';

/** One data change of one monitored item. */
export interface OpcuaSample {
  /**
   * The Variant's value: number, boolean, string, Date, Buffer, `[high, low]` UInt32 words for Int64 and UInt64, an
   * array for a non-scalar, null when the server sent no value.
   */
  readonly value: unknown;
  /** The Variant's DataType name: 'Double', 'Boolean', 'Int64', 'String', 'Null', … */
  readonly dataType: string;
  /** False for arrays and matrices. */
  readonly isScalar: boolean;
  /** The StatusCode as a UInt32 (severity in the top two bits). */
  readonly statusCode: number;
  /** Its name, e.g. 'Good', 'UncertainLastUsableValue', 'BadSensorFailure'. */
  readonly statusName: string;
  /** SourceTimestamp (the device's time of measurement), epoch ms, when the server sent one. */
  readonly sourceTs: number | undefined;
  /** ServerTimestamp, epoch ms, when the server sent one. */
  readonly serverTs: number | undefined;
}

export interface OpcuaLinkOptions {
  readonly connection: OpcuaConnectionConfig;
  /** The variables to monitor; onSample's `index` points into this list. */
  readonly nodeIds: readonly string[];
  readonly log: DriverLogger;
  /** Every data change, in the order the server published them. Never called after stop() resolves. Must not throw. */
  onSample(index: number, sample: OpcuaSample): void;
}

/** Counters of a link; `connected` and `nodesRejected` are gauges. */
export interface OpcuaLinkStats {
  /** 1 while a session with a live subscription exists. */
  connected: number;
  /** Sessions with a subscription established, the first included. */
  connects: number;
  /** Of connects, those after a lost connection (a server restart, a network cut). */
  reconnects: number;
  /** Failed attempts other than the two below (refused, timed out, unreachable host, unreadable passwordFile). */
  connectErrors: number;
  /** Attempts refused for the user name or password (BadUserAccessDenied, BadIdentityToken…). */
  authFailures: number;
  /** Attempts failed on a certificate: the server's is not trusted here, or ours is not trusted there. */
  certificateRejections: number;
  /** Established connections lost. */
  disconnects: number;
  /** Of disconnects, those detected by the silence watchdog (no publish response for 3 keep-alive periods). */
  stalls: number;
  /** Configured nodes the server refused at the last subscription (unknown NodeId, no read access). */
  nodesRejected: number;
}

/** The objects of one connection, from the attempt on. */
interface Connection {
  readonly client: UaClient;
  watchdog: NodeJS.Timeout | undefined;
  /** performance.now() of the last publish response (data or keep-alive). */
  lastPublishAt: number;
  /**
   * Set once the connection is given up. Samples are accepted until then, from before the attempt resolves: the first
   * values can arrive in the same network read as the monitored items' creation.
   */
  closed: boolean;
  /** Why the connection ended, if it did before the link took it as established. */
  lostReason: string | undefined;
}

/** Keep-alive count asked of the server: an idle subscription still answers every 10 publishing intervals. */
const MAX_KEEP_ALIVE_COUNT = 10;
/** Lifetime count: the server drops the subscription after 6 silent keep-alive periods of the client. */
const LIFETIME_COUNT = 6 * MAX_KEEP_ALIVE_COUNT;
/** Bound of the polite goodbye (CloseSession, CloseSecureChannel) on stop or after a loss, ms. */
const DISCONNECT_TIMEOUT_MS = 3000;
/** Shortest session timeout asked, ms; longer when the keep-alive period is (the server hears from us at least then). */
const MIN_SESSION_TIMEOUT_MS = 60_000;

/**
 * A subscription to a set of variables of one OPC-UA server that stays up: it connects, opens a session and one
 * subscription with a monitored item per node, and when anything of that breaks (server restart, network cut,
 * subscription timed out, silence) it drops it all and builds a new one with exponential backoff. It never throws at
 * its owner. There is one recovery path: a fresh client (ua/client.ts), session and subscription, whose monitored
 * items start with the current value of every node.
 */
export class OpcuaLink {
  private current: Connection | undefined;
  private attempt: Promise<void> | undefined;
  /** The connection being attempted, so that stop() can cut it short. */
  private pending: Connection | undefined;
  private closing: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly counters: Omit<OpcuaLinkStats, 'connected'> = {
    connects: 0,
    reconnects: 0,
    connectErrors: 0,
    authFailures: 0,
    certificateRejections: 0,
    disconnects: 0,
    stalls: 0,
    nodesRejected: 0,
  };

  constructor(private readonly options: OpcuaLinkOptions) {}

  get connected(): boolean {
    return this.current !== undefined;
  }

  stats(): OpcuaLinkStats {
    return { connected: this.connected ? 1 : 0, ...this.counters };
  }

  /**
   * Makes the first attempt; resolves after it whatever its outcome (retries go on in the background): within
   * connectTimeoutMs, plus the first time the generation of the gateway's key pair.
   */
  async start(): Promise<void> {
    this.attempt = this.connect();
    await this.attempt;
  }

  /** Stops retrying and closes the session and the channel; no onSample after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.pending) void disconnect(this.pending.client); // an unanswered connect would hold stop() for connectTimeoutMs
    await this.attempt;
    const connection = this.current;
    this.current = undefined;
    if (connection) this.closing = this.close(connection);
    await this.closing;
  }

  private async connect(): Promise<void> {
    const { connection, log } = this.options;
    let attempt: Connection | undefined;
    let subscription: SubscriptionInfo;
    try {
      // The first time, this generates the gateway's key pair and certificate in pkiDir/own (seconds on a small CPU):
      // outside the attempt's timeout, so that a slow generation is not cut and started over at every attempt.
      if (connection.securityMode !== 'None') await ownCertificate(connection.pkiDir);
      const user = await userIdentity(connection);
      if (this.stopped) return;
      const client = createClient(connection, user, log);
      const current: Connection = { client, watchdog: undefined, lastPublishAt: 0, closed: false, lostReason: undefined };
      attempt = current;
      client.onClose((err) => this.lost(current, `connection lost: ${err.message}`));
      this.pending = attempt;
      subscription = await withTimeout(this.open(attempt), connection.connectTimeoutMs, 'connection attempt');
    } catch (err) {
      this.pending = undefined;
      if (attempt) await this.close(attempt);
      if (this.stopped) return;
      const kind = this.countFailure(err);
      const context = { err: errorText(err), code: isUaError(err) ? err.code : undefined, endpoint: connection.endpoint, kind, failures: this.failures };
      if (this.failures === 0 || kind !== 'connectError') log.warn(context, 'OPC-UA connection failed; will retry');
      else log.debug(context, 'OPC-UA connection failed; will retry');
      this.scheduleReconnect();
      return;
    }
    this.pending = undefined;
    if (this.stopped) {
      await this.close(attempt);
      return;
    }
    this.current = attempt;
    if (this.counters.connects > 0) this.counters.reconnects += 1;
    this.counters.connects += 1;
    this.failures = 0;
    this.watch(attempt, subscription);
    log.info({ endpoint: connection.endpoint, securityMode: connection.securityMode }, 'OPC-UA subscription established');
    if (attempt.lostReason !== undefined) this.lost(attempt, attempt.lostReason);
  }

  /** Channel, session, subscription, monitored items; resolves with the subscription as the server revised it. */
  private async open(attempt: Connection): Promise<SubscriptionInfo> {
    const { connection, nodeIds, log } = this.options;
    const { client } = attempt;
    await client.connect();
    attempt.lastPublishAt = performance.now();
    const subscription = await client.subscribe(
      {
        publishingIntervalMs: connection.publishingIntervalMs,
        maxKeepAliveCount: MAX_KEEP_ALIVE_COUNT,
        lifetimeCount: LIFETIME_COUNT,
        nodeIds,
        samplingIntervalMs: connection.samplingIntervalMs,
        queueSize: queueSize(connection),
      },
      {
        onDataChange: (index, dataValue) => {
          if (attempt.closed || this.stopped) return;
          attempt.lastPublishAt = performance.now();
          this.options.onSample(index, toSample(dataValue));
        },
        onPublish: () => {
          attempt.lastPublishAt = performance.now();
        },
        onEnd: (err) => this.lost(attempt, `subscription ended: ${err.message}`),
      },
    );
    const rejected = subscription.itemStatus.flatMap((status, i) => (status >>> 30 === 0 ? [] : [{ nodeId: nodeIds[i], status: statusName(status) }]));
    this.counters.nodesRejected = rejected.length;
    if (rejected.length > 0) log.warn({ rejected }, 'the OPC-UA server refused some nodes');
    return subscription;
  }

  /** Watches an established connection for silence (its end otherwise comes through onClose and onEnd). */
  private watch(connection: Connection, subscription: SubscriptionInfo): void {
    const keepAliveMs = subscription.publishingIntervalMs * subscription.maxKeepAliveCount;
    const silenceMs = 3 * keepAliveMs + subscription.publishingIntervalMs;
    connection.watchdog = setInterval(() => {
      if (performance.now() - connection.lastPublishAt <= silenceMs) return;
      this.counters.stalls += 1;
      this.lost(connection, `no publish response for ${silenceMs} ms`);
    }, Math.max(keepAliveMs, 50));
  }

  private lost(connection: Connection, reason: string): void {
    connection.lostReason ??= reason;
    if (this.current !== connection || this.stopped) return;
    this.current = undefined;
    this.counters.disconnects += 1;
    this.options.log.warn({ endpoint: this.options.connection.endpoint, reason }, 'OPC-UA connection lost; reconnecting');
    this.closing = this.close(connection);
    this.scheduleReconnect();
  }

  private async close(connection: Connection): Promise<void> {
    connection.closed = true;
    clearInterval(connection.watchdog);
    await disconnect(connection.client);
  }

  /**
   * Which counter a failed attempt goes to, from its error code and StatusCode: the user refused, a certificate not
   * trusted on either side (ours refused by the server: BadCertificate…, BadSecurityChecksFailed), or anything else.
   */
  private countFailure(err: unknown): 'authFailure' | 'certificateRejection' | 'connectError' {
    const code = isUaError(err) ? err.code : undefined;
    const status = (isUaError(err) ? err.statusName : undefined) ?? '';
    if (/^Bad(UserAccessDenied|IdentityToken)/.test(status)) {
      this.counters.authFailures += 1;
      return 'authFailure';
    }
    if (code === 'IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED' || code === 'IOC_ERR_OPCUA_CERTIFICATE_INVALID' || /^Bad(Certificate|SecurityChecksFailed)/.test(status)) {
      this.counters.certificateRejections += 1;
      return 'certificateRejection';
    }
    this.counters.connectErrors += 1;
    return 'connectError';
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const { reconnectMinMs, reconnectMaxMs } = this.options.connection;
    const base = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(this.failures, 30));
    const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.attempt = this.closing.then(() => this.connect());
    }, delayMs);
  }
}

function createClient(connection: OpcuaConnectionConfig, user: UaClientUser | undefined, log: DriverLogger): UaClient {
  const keepAliveMs = connection.publishingIntervalMs * MAX_KEEP_ALIVE_COUNT;
  return new UaClient({
    endpointUrl: connection.endpoint,
    securityMode: connection.securityMode,
    securityPolicy: connection.securityPolicy,
    pkiDir: connection.pkiDir,
    trustUnknownServerCertificate: connection.trustUnknownServerCertificate,
    ...(user ? { user } : {}),
    requestTimeoutMs: connection.connectTimeoutMs,
    sessionTimeoutMs: Math.min(0x7fff_ffff, Math.max(MIN_SESSION_TIMEOUT_MS, 4 * keepAliveMs)),
    log,
  });
}

/** Enough queue for every sample of one publishing interval, so none is lost between two publishes. */
function queueSize(connection: OpcuaConnectionConfig): number {
  const perPublish = Math.ceil(connection.publishingIntervalMs / connection.samplingIntervalMs);
  return Math.min(100, perPublish + 1);
}

interface UaClientUser {
  readonly userName: string;
  readonly password: string;
}

/** The user name and password, the password read from passwordFile at every attempt; undefined: anonymous. */
async function userIdentity(connection: OpcuaConnectionConfig): Promise<UaClientUser | undefined> {
  if (connection.username === undefined) return undefined;
  const password = connection.passwordFile === undefined
    ? (connection.password ?? '')
    : (await readFile(resolve(connection.passwordFile), 'utf8')).replace(/\r?\n$/, '');
  return { userName: connection.username, password };
}

function toSample(dataValue: DataValue): OpcuaSample {
  const variant = dataValue.value;
  const dataType = variant?.dataType ?? 0;
  return {
    value: variant?.value ?? null,
    dataType: BUILTIN_TYPE_NAMES[dataType] ?? String(dataType),
    isScalar: variant?.isScalar ?? true,
    statusCode: dataValue.statusCode,
    statusName: statusName(dataValue.statusCode),
    sourceTs: dataValue.sourceTimestamp,
    serverTs: dataValue.serverTimestamp,
  };
}

/** Closes without ever throwing, within DISCONNECT_TIMEOUT_MS. */
async function disconnect(client: UaClient): Promise<void> {
  await withTimeout(client.close(), DISCONNECT_TIMEOUT_MS, 'disconnect').catch(() => undefined);
}

/** `promise`, or a rejection with code IOC_ERR_OPCUA_TIMEOUT after `ms` (a late rejection of `promise` is ignored). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'IOC_ERR_OPCUA_TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
