import path from 'node:path';
import type { Logger } from 'pino';
import { isPlausible, validateReading, type Reading } from '@ioc/protocol';
import type { AgentConfig, Calibration, DriverRegistry, InputConfig } from './config.js';
import type { Driver, FrameError } from './driver.js';
import { drivers as builtinDrivers } from './drivers/index.js';
import { startTechnicianHttp, type TechnicianHttp } from './http/server.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';
import type { Outbox, OutboxStats } from './outbox/outbox.js';
import { SqliteOutbox } from './outbox/sqlite-outbox.js';
import { InputSet } from './remote-config/input-set.js';
import { LastGoodConfig } from './remote-config/last-good.js';
import { parseRemoteConfig, RemoteConfig, type ConfigVersion } from './remote-config/remote-config.js';
import { ClockWatch } from './uplink/clock.js';
import { startUplink, type Uplink, type UplinkStats } from './uplink/mqtt-uplink.js';

export const AGENT_NAME = 'ioc-edge';
export const AGENT_VERSION = '0.1.0';

export interface AgentStats {
  /** Readings accepted into the outbox. */
  readings: number;
  /** Of those, marked bad for being outside their metric's plausible range. */
  implausible: number;
  /** Readings refused before the outbox because they break the wire contract (a driver bug). */
  invalid: number;
  /** Readings lost because the outbox could not store them. */
  outboxErrors: number;
  /** True when the last append to the outbox failed. */
  outboxFailing: boolean;
  outbox: OutboxStats;
  /** Whether the outbox is on disk. */
  durable: boolean;
  uplink: UplinkStats;
  /** By input id: its driver, the driver's stats(), and frame errors reported through onFrameError, by code. */
  inputs: Record<string, { driver: string; stats: Record<string, number>; frameErrors: Record<string, number> }>;
  config: { version: ConfigVersion | undefined; applied: number; refused: number };
  /** Last measured clock skew against clock.referenceUrl, ms (absent without a reference). */
  clockSkewMs?: number;
}

export interface RunningAgent {
  stats(): AgentStats;
  /** The config in force (the file's, or the last remote config applied). */
  config(): AgentConfig;
  /** The technician endpoint (/healthz, /metrics), when http.port is not 0. */
  readonly http: TechnicianHttp | undefined;
  /** Resolves once every remote config received so far has been handled (tests). */
  configIdle(): Promise<void>;
  /**
   * Stops drivers first (no reading after this resolves), then the uplink. A memory outbox is drained for up to
   * timeoutMs first; a disk outbox keeps what is pending for the next start.
   */
  stop(timeoutMs?: number): Promise<void>;
}

export interface AgentOptions {
  /** The clock drivers stamp readings with (fake clocks in tests). */
  now?: () => number;
  /** The drivers the config may name; the built-in registry by default. */
  drivers?: DriverRegistry;
  /** An outbox to use instead of the one the config implies (a benchmark's peer, tests). */
  outbox?: Outbox;
  /** How long a driver may take to start during a remote config apply. */
  startTimeoutMs?: number;
}

/** Applies a calibration: value × gain + offset. */
function calibrate(r: Reading, calibration: Readonly<Record<string, Calibration>>): Reading {
  const c = calibration[r.metric];
  return c ? { ...r, value: r.value * c.gain + c.offset } : r;
}

/**
 * Marks a reading outside its metric's plausible range as bad. It is kept and sent (an officer may need to see a
 * broken sensor), never dropped.
 */
function checkPlausible(r: Reading): Reading {
  return r.quality !== 'bad' && !isPlausible(r.metric, r.value) ? { ...r, quality: 'bad' } : r;
}

function openOutbox(config: AgentConfig, log: Logger): Outbox {
  const limits = { maxReadings: config.outbox.maxReadings, maxBytes: config.outbox.maxBytes };
  if (config.dataDir === undefined) {
    log.warn('no dataDir: the outbox is in memory and a restart loses what it holds');
    return new MemoryOutbox(limits);
  }
  return new SqliteOutbox({
    file: path.join(config.dataDir, 'outbox.db'),
    sync: config.outbox.sync,
    ...limits,
    onCorrupt: (movedTo, err) => log.error({ movedTo, err: err.message }, 'the outbox file was damaged; moved aside, starting empty'),
  });
}

/** The config to start with: the last good remote config if there is one that still validates, else the file's. */
function initialConfig(local: AgentConfig, store: LastGoodConfig | undefined, registry: DriverRegistry, log: Logger): { config: AgentConfig; version?: ConfigVersion } {
  const stored = store?.load();
  if (stored === undefined) return { config: local };
  try {
    const { version, config } = parseRemoteConfig(stored, local, registry);
    log.info({ version, file: store?.file }, 'starting with the last good remote config');
    return { config, version };
  } catch (err) {
    log.warn({ err: (err as Error).message, file: store?.file }, 'the last good remote config no longer validates; using the config file');
    return { config: local };
  }
}

/** Starts the edge agent: drivers → calibration → plausibility → outbox → MQTT uplink; remote config; /metrics. */
export async function startAgent(local: AgentConfig, log: Logger, opts: AgentOptions = {}): Promise<RunningAgent> {
  const now = opts.now ?? Date.now;
  const registry: DriverRegistry = opts.drivers ?? builtinDrivers;
  const store = local.dataDir !== undefined ? new LastGoodConfig(local.dataDir) : undefined;
  const initial = initialConfig(local, store, registry, log);
  let current = initial.config;
  const outbox = opts.outbox ?? openOutbox(local, log);
  const counters = { readings: 0, implausible: 0, invalid: 0, outboxErrors: 0, outboxFailing: false };
  const frameErrors = new Map<string, Record<string, number>>();
  /** Per driver instance, the calibration its readings get (updated in place by a calibration-only change). */
  const calibrations = new WeakMap<Driver, { calibration: InputConfig['calibration'] }>();

  // A reading the wire contract would refuse (NaN, ts in seconds, unknown metric) is a driver bug: it is counted and
  // logged here, and never enters the outbox where it would block every batch.
  const sinkFor = (holder: { calibration: InputConfig['calibration'] }) => (batch: Reading[]): void => {
    const accepted: Reading[] = [];
    for (const raw of batch) {
      const r = calibrate(raw, holder.calibration);
      const error = validateReading(r);
      if (error) {
        counters.invalid += 1;
        log.error({ reading: r, code: error.code, path: error.path }, `driver produced an invalid reading: ${error.message}`);
        continue;
      }
      const checked = checkPlausible(r);
      if (checked !== r) counters.implausible += 1;
      accepted.push(checked);
    }
    try {
      outbox.append(accepted);
      counters.readings += accepted.length;
      counters.outboxFailing = false;
    } catch (err) {
      counters.outboxErrors += accepted.length;
      counters.outboxFailing = true;
      log.error({ err, lost: accepted.length }, 'outbox append failed; readings lost');
    }
  };

  const create = (input: InputConfig): Driver => {
    const factory = registry[input.driver];
    if (!factory) throw Object.assign(new Error(`unknown driver ${input.driver}`), { code: 'IOC_ERR_CONFIG' });
    const holder = { calibration: input.calibration };
    const errors = frameErrors.get(input.id) ?? {};
    frameErrors.set(input.id, errors);
    const driver = factory.create(input.config, {
      sink: sinkFor(holder),
      log: log.child({ input: input.id, driver: input.driver }),
      now,
      onFrameError: (e: FrameError) => {
        errors[e.code] = (errors[e.code] ?? 0) + 1;
      },
    });
    calibrations.set(driver, holder);
    return driver;
  };
  const inputs = new InputSet({ create, startTimeoutMs: opts.startTimeoutMs ?? 30_000, log });
  const syncCalibrations = (): void => {
    for (const r of inputs.running) {
      const holder = calibrations.get(r.driver);
      if (holder) holder.calibration = r.config.calibration;
    }
  };
  try {
    await inputs.apply(current.inputs);
  } catch (err) {
    outbox.close();
    throw err;
  }

  // remote, uplink and clock refer to one another only in callbacks, which run after all three exist.
  const remote = new RemoteConfig({
    local,
    registry,
    ...(store ? { store } : {}),
    ...(initial.version !== undefined ? { version: initial.version } : {}),
    log: log.child({ component: 'remote-config' }),
    apply: async (next) => {
      const changes = await inputs.apply(next.inputs);
      syncCalibrations();
      current = next;
      uplink.setBatching(next.uplink);
      uplink.publishBirth();
      log.info(changes, 'inputs updated');
    },
    ack: (ack) => uplink.publishConfigAck(ack),
  });
  const uplink: Uplink = startUplink({
    endpoint: { ...local.mqtt, username: local.mqtt.username ?? local.gateway.id },
    site: local.gateway.site,
    gateway: local.gateway.id,
    outbox,
    log: log.child({ component: 'uplink' }),
    batching: current.uplink,
    keepaliveSec: local.mqtt.keepaliveSec,
    connectTimeoutMs: local.mqtt.connectTimeoutMs,
    reconnectMinMs: local.mqtt.reconnectMinMs,
    reconnectMaxMs: local.mqtt.reconnectMaxMs,
    birth: () => {
      const skew = clock?.reported();
      return {
        agent: { name: AGENT_NAME, version: AGENT_VERSION },
        inputs: inputs.running.map((r) => ({ id: r.config.id, driver: r.config.driver })),
        outbox: { pending: outbox.stats().pending, dropped: outbox.stats().dropped },
        ...(skew !== undefined ? { clockSkewMs: skew } : {}),
      };
    },
    onConfig: (payload) => remote.handle(payload),
  });
  const clock = local.clock.referenceUrl
    ? new ClockWatch({ referenceUrl: local.clock.referenceUrl, maxSkewMs: local.clock.maxSkewMs, intervalMs: local.clock.checkIntervalMs, log, onChange: () => uplink.publishBirth() })
    : undefined;
  clock?.start();

  const stats = (): AgentStats => ({
    ...counters,
    outbox: outbox.stats(),
    durable: outbox instanceof SqliteOutbox,
    uplink: uplink.stats(),
    inputs: Object.fromEntries(inputs.running.map((r) => [r.config.id, { driver: r.config.driver, stats: r.driver.stats(), frameErrors: { ...frameErrors.get(r.config.id) } }])),
    config: { version: remote.version, applied: remote.applied, refused: remote.refused },
    ...(clock?.skewMs !== undefined ? { clockSkewMs: clock.skewMs } : {}),
  });

  let http: TechnicianHttp | undefined;
  if (local.http.port !== 0) {
    try {
      http = await startTechnicianHttp({ host: local.http.host, port: local.http.port, stats, log });
    } catch (err) {
      // The agent's job is the readings: a port taken by something else must not stop them.
      log.error({ err: (err as Error).message, code: 'IOC_ERR_HTTP_BIND', host: local.http.host, port: local.http.port }, 'technician endpoint not started');
    }
  }
  log.info({ inputs: inputs.running.map((r) => r.config.id), site: local.gateway.site, gateway: local.gateway.id, durable: stats().durable }, 'edge agent started');

  return {
    stats,
    config: () => current,
    http,
    configIdle: () => remote.idle(),
    async stop(timeoutMs = 5000) {
      await remote.close();
      await inputs.stopAll();
      await clock?.stop();
      await http?.close();
      await uplink.stop(outbox instanceof SqliteOutbox ? 0 : timeoutMs);
      outbox.close();
    },
  };
}
