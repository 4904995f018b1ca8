import type { Logger } from 'pino';
import { isPlausible, validateReading, type Reading } from '@ioc/protocol';
import type { AgentConfig } from './config.js';
import type { Driver } from './driver.js';
import { drivers } from './drivers/index.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';
import type { Outbox } from './outbox/outbox.js';
import { startUplink, type Uplink } from './uplink/mqtt-uplink.js';

export const AGENT_NAME = 'ioc-edge';
export const AGENT_VERSION = '0.1.0';

export interface AgentStats {
  readings: number;
  implausible: number;
  /** Readings refused before the outbox because they break the wire contract. */
  invalid: number;
  outbox: ReturnType<Outbox['stats']>;
  uplink: ReturnType<Uplink['stats']>;
  inputs: Record<string, Record<string, number>>;
}

export interface RunningAgent {
  stats(): AgentStats;
  /** Stops drivers first (no reading after this resolves), then drains the outbox within timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Marks a reading outside its metric's plausible range as bad. It is kept and sent (an officer may
 * need to see a broken sensor), never dropped.
 */
function checkPlausible(r: Reading): Reading {
  return r.quality !== 'bad' && !isPlausible(r.metric, r.value) ? { ...r, quality: 'bad' } : r;
}

/** Starts the edge agent: drivers → outbox → MQTT uplink. */
export async function startAgent(config: AgentConfig, log: Logger, opts: { now?: () => number } = {}): Promise<RunningAgent> {
  const now = opts.now ?? Date.now;
  const outbox: Outbox = new MemoryOutbox({ maxReadings: config.outbox.maxReadings });
  let readings = 0;
  let implausible = 0;
  let invalid = 0;
  // A reading the wire contract would refuse (NaN, ts in seconds, unknown metric) is a driver bug:
  // it is counted and logged here, and never enters the outbox where it would block every batch.
  const sink = (batch: Reading[]): void => {
    const valid = batch.filter((r) => {
      const error = validateReading(r);
      if (error) {
        invalid += 1;
        log.error({ reading: r, code: error.code, path: error.path }, `driver produced an invalid reading: ${error.message}`);
      }
      return !error;
    });
    const checked = valid.map(checkPlausible);
    readings += checked.length;
    implausible += checked.filter((r, i) => r !== valid[i]).length;
    outbox.append(checked);
  };
  const running: Driver[] = [];
  try {
    for (const input of config.inputs) {
      const factory = drivers[input.driver];
      const driver = factory.create(input.config as never, {
        sink,
        log: log.child({ driver: input.driver }),
        now,
      });
      await driver.start();
      running.push(driver);
    }
  } catch (err) {
    await Promise.allSettled(running.map((d) => d.stop()));
    throw err;
  }
  const uplink = startUplink({
    url: config.mqtt.url,
    username: config.mqtt.username ?? config.gateway.id,
    password: config.mqtt.password,
    site: config.gateway.site,
    gateway: config.gateway.id,
    outbox,
    log: log.child({ component: 'uplink' }),
    maxBatchReadings: config.uplink.maxBatchReadings,
    lingerMs: config.uplink.lingerMs,
    keepaliveSec: config.mqtt.keepaliveSec,
    birth: () => ({
      agent: { name: AGENT_NAME, version: AGENT_VERSION },
      inputs: running.map((d, i) => ({ id: d.id, driver: config.inputs[i]!.driver })),
      outbox: outbox.stats(),
    }),
  });
  log.info({ inputs: running.map((d) => d.id), site: config.gateway.site, gateway: config.gateway.id }, 'edge agent started');
  return {
    stats: () => ({
      readings,
      implausible,
      invalid,
      outbox: outbox.stats(),
      uplink: uplink.stats(),
      inputs: Object.fromEntries(running.map((d) => [d.id, d.stats()])),
    }),
    async stop(timeoutMs = 5000) {
      await Promise.allSettled(running.map((d) => d.stop()));
      await uplink.stop(timeoutMs);
    },
  };
}
