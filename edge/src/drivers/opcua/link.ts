import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type * as UaClient from 'node-opcua-client';
import type { ClientSubscription, DataValue, MonitoringParametersOptions, OPCUAClient, UserIdentityInfo } from 'node-opcua-client';
import type { DriverLogger } from '../../driver.js';
import type { OpcuaConnectionConfig } from './connection-config.js';
import { routeOpcuaLogs } from './opcua-logs.js';

/** One data change of one monitored item, free of node-opcua types. */
export interface OpcuaSample {
  /** The Variant's value as node-opcua decodes it: number, boolean, string, `[high, low]` for 64-bit integers, … */
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
  readonly client: OPCUAClient;
  subscription: ClientSubscription | undefined;
  watchdog: NodeJS.Timeout | undefined;
  /** performance.now() of the last publish response (data or keep-alive). */
  lastPublishAt: number;
  /**
   * Set once the connection is given up. Samples are accepted until then, from before the attempt resolves: the first
   * values can arrive in the same network read as the monitored items' creation.
   */
  closed: boolean;
}

/** Keep-alive count asked of the server: an idle subscription still answers every 10 publishing intervals. */
const MAX_KEEP_ALIVE_COUNT = 10;
/** Lifetime count: the server drops the subscription after 6 silent keep-alive periods of the client. */
const LIFETIME_COUNT = 6 * MAX_KEEP_ALIVE_COUNT;
/** Bound of the polite goodbye (CloseSession, CloseSecureChannel) on stop or after a loss, ms. */
const DISCONNECT_TIMEOUT_MS = 3000;

/** What the link uses of node-opcua: its client and its certificate manager, not the meta-package. */
type Ua = typeof UaClient & { OPCUACertificateManager: typeof OPCUACertificateManager };

let opcuaModule: Promise<Ua> | undefined;

/**
 * node-opcua takes ~0.5 s to import and ~18 MB of heap: it is loaded on the first start(), not when the agent loads its
 * drivers, and only its client half (the meta-package `node-opcua` adds the server and address space: +7 MB heap).
 */
export function loadOpcua(log?: DriverLogger): Promise<Ua> {
  // Its loggers are routed before it loads: some of its modules print as they load.
  opcuaModule ??= (log ? routeOpcuaLogs(log) : Promise.resolve())
    .then(() => Promise.all([import('node-opcua-client'), import('node-opcua-certificate-manager')]))
    .then(([client, pki]) => ({ ...client, OPCUACertificateManager: pki.OPCUACertificateManager }));
  return opcuaModule;
}

/**
 * A subscription to a set of variables of one OPC-UA server that stays up: it connects, opens a session and one
 * subscription with a monitored item per node, and when anything of that breaks (server restart, network cut,
 * subscription timed out, silence) it drops it all and builds a new one with exponential backoff. It never throws at
 * its owner. node-opcua's own reconnection is disabled (`maxRetry: 0`) so that there is one recovery path: a fresh
 * client, session and subscription, whose monitored items start with the current value of every node.
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
    let subscription: ClientSubscription;
    try {
      const ua = await loadOpcua(log);
      if (this.stopped) return;
      const certificateManager = createCertificateManager(ua, connection);
      attempt = { client: createClient(ua, connection, certificateManager), subscription: undefined, watchdog: undefined, lastPublishAt: 0, closed: false };
      this.pending = attempt;
      // The first time, this generates the gateway's key pair and certificate in pkiDir/own (seconds on a small CPU):
      // outside the attempt's timeout, since an attempt cut mid-generation would leave later ones waiting on its lock.
      await certificateManager.initialize();
      await attempt.client.createDefaultCertificate();
      subscription = await withTimeout(this.open(ua, attempt), connection.connectTimeoutMs, 'connection attempt');
    } catch (err) {
      this.pending = undefined;
      if (attempt) await this.close(attempt);
      if (this.stopped) return;
      const kind = this.countFailure(err);
      const context = { err: errorText(err), endpoint: connection.endpoint, kind, failures: this.failures };
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
  }

  /** Channel, session, subscription, monitored items; resolves with the live subscription. */
  private async open(ua: Ua, attempt: Connection): Promise<ClientSubscription> {
    const { connection, nodeIds, log } = this.options;
    const { client } = attempt;
    const identity = await userIdentity(ua, connection);
    await client.connect(connection.endpoint);
    const session = await client.createSession(identity);
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: connection.publishingIntervalMs,
      requestedMaxKeepAliveCount: MAX_KEEP_ALIVE_COUNT,
      requestedLifetimeCount: LIFETIME_COUNT,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    attempt.subscription = subscription;
    attempt.lastPublishAt = performance.now();
    const items = nodeIds.map((nodeId) => ({ nodeId, attributeId: ua.AttributeIds.Value }));
    const group = ua.ClientMonitoredItemGroup.create(subscription, items, monitoringParameters(connection), ua.TimestampsToReturn.Both);
    group.on('changed', (_item: unknown, dataValue: DataValue, index: number) => {
      if (attempt.closed || this.stopped) return;
      attempt.lastPublishAt = performance.now();
      this.options.onSample(index, toSample(ua, dataValue));
    });
    await new Promise<void>((resolvePromise, reject) => {
      group.once('initialized', () => resolvePromise());
      group.once('err', (message: string) => reject(new Error(`monitored items not created: ${message}`)));
    });
    const rejected = group.monitoredItems.flatMap((item, i) =>
      item.statusCode.isGood() ? [] : [{ nodeId: nodeIds[i], status: item.statusCode.name }],
    );
    this.counters.nodesRejected = rejected.length;
    if (rejected.length > 0) log.warn({ rejected }, 'the OPC-UA server refused some nodes');
    return subscription;
  }

  /** Watches an established connection for its end: channel closed, subscription terminated, or silence. */
  private watch(connection: Connection, subscription: ClientSubscription): void {
    const { client } = connection;
    const publishing = (): void => {
      connection.lastPublishAt = performance.now();
    };
    subscription.on('keepalive', publishing);
    subscription.on('received_notifications', publishing);
    subscription.on('terminated', () => this.lost(connection, 'subscription terminated'));
    subscription.on('error', (err: Error) => this.lost(connection, `subscription error: ${err.message}`));
    subscription.on('internal_error', (err: Error) => this.options.log.debug({ err }, 'OPC-UA subscription internal error'));
    client.on('close', () => this.lost(connection, 'connection closed'));
    client.on('connection_lost', () => this.lost(connection, 'connection lost'));
    const keepAliveMs = subscription.publishingInterval * subscription.maxKeepAliveCount;
    const silenceMs = 3 * keepAliveMs + subscription.publishingInterval;
    connection.watchdog = setInterval(() => {
      if (performance.now() - connection.lastPublishAt <= silenceMs) return;
      this.counters.stalls += 1;
      this.lost(connection, `no publish response for ${silenceMs} ms`);
    }, Math.max(keepAliveMs, 50));
  }

  private lost(connection: Connection, reason: string): void {
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

  private countFailure(err: unknown): 'authFailure' | 'certificateRejection' | 'connectError' {
    const text = errorText(err);
    if (/BadUserAccessDenied|BadIdentityToken/.test(text)) {
      this.counters.authFailures += 1;
      return 'authFailure';
    }
    if (/BadCertificate|BadSecurityChecksFailed|[Cc]ertificate verification failed/.test(text)) {
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

/**
 * A fresh certificate manager per client: the client disposes it on disconnect, and a certificate the technician moved
 * from rejected/ to trusted/ counts at the next attempt without file watchers.
 */
function createCertificateManager(ua: Ua, connection: OpcuaConnectionConfig): OPCUACertificateManager {
  return new ua.OPCUACertificateManager({
    rootFolder: resolve(connection.pkiDir),
    automaticallyAcceptUnknownCertificate: connection.trustUnknownServerCertificate,
    disableFileWatchers: true,
  });
}

function createClient(
  ua: Ua,
  connection: OpcuaConnectionConfig,
  clientCertificateManager: OPCUACertificateManager,
): OPCUAClient {
  return ua.OPCUAClient.create({
    applicationName: 'ioc-edge',
    clientName: 'ioc-edge',
    endpointMustExist: false,
    securityMode: ua.MessageSecurityMode[connection.securityMode],
    securityPolicy: ua.SecurityPolicy[connection.securityPolicy],
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    clientCertificateManager,
    keepSessionAlive: false,
  });
}

function monitoringParameters(connection: OpcuaConnectionConfig): MonitoringParametersOptions {
  // Enough queue for every sample of one publishing interval, so none is lost between two publishes.
  const perPublish = Math.ceil(connection.publishingIntervalMs / connection.samplingIntervalMs);
  return { samplingInterval: connection.samplingIntervalMs, queueSize: Math.min(100, perPublish + 1), discardOldest: true };
}

async function userIdentity(ua: Ua, connection: OpcuaConnectionConfig): Promise<UserIdentityInfo | undefined> {
  if (connection.username === undefined) return undefined;
  const password = connection.passwordFile === undefined
    ? (connection.password ?? '')
    : (await readFile(resolve(connection.passwordFile), 'utf8')).replace(/\r?\n$/, '');
  return { type: ua.UserTokenType.UserName, userName: connection.username, password };
}

function toSample(ua: Ua, dataValue: DataValue): OpcuaSample {
  const variant = dataValue.value;
  return {
    value: variant.value,
    dataType: ua.DataType[variant.dataType] ?? String(variant.dataType),
    isScalar: variant.arrayType === ua.VariantArrayType.Scalar,
    statusCode: dataValue.statusCode.value,
    statusName: dataValue.statusCode.name,
    sourceTs: dataValue.sourceTimestamp?.getTime(),
    serverTs: dataValue.serverTimestamp?.getTime(),
  };
}

/** Disconnects without ever throwing, within DISCONNECT_TIMEOUT_MS. */
async function disconnect(client: OPCUAClient): Promise<void> {
  await withTimeout(client.disconnect(), DISCONNECT_TIMEOUT_MS, 'disconnect').catch(() => undefined);
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
