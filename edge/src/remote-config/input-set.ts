import type { Logger } from 'pino';
import type { InputConfig } from '../config.js';
import type { Driver } from '../driver.js';

/** One input as it runs: its config and its driver instance. */
export interface RunningInput {
  readonly config: InputConfig;
  readonly driver: Driver;
}

/** What an apply changed, by input id. */
export interface InputChanges {
  added: string[];
  removed: string[];
  /** Driver config changed: the driver was restarted. */
  restarted: string[];
  /** Only the calibration changed: applied in place, the driver kept running. */
  recalibrated: string[];
}

export interface InputSetOptions {
  /** Makes a driver for an input (no I/O before start). May throw (e.g. IOC_ERR_CONFIG from a driver's create). */
  create(input: InputConfig): Driver;
  /** How long a driver's start() may take during an apply before the apply fails and rolls back. */
  startTimeoutMs: number;
  log: Logger;
}

const driverKey = (c: InputConfig): string => `${c.driver}\u0000${JSON.stringify(c.config)}`;
const calibrationKey = (c: InputConfig): string => JSON.stringify(c.calibration);

function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not start within ${ms} ms`), { code: 'IOC_ERR_CONFIG_APPLY' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The running inputs of the agent. apply() moves from one list of inputs to the next touching only what changed
 * (by input id), and is all or nothing: if any new driver fails to start, the ones it started are stopped and the
 * ones it stopped are started again (new instances: a driver runs once), then the error is thrown.
 */
export class InputSet {
  #running: RunningInput[] = [];

  constructor(private readonly opts: InputSetOptions) {}

  get running(): readonly RunningInput[] {
    return this.#running;
  }

  async apply(next: readonly InputConfig[]): Promise<InputChanges> {
    const byId = new Map(this.#running.map((r) => [r.config.id, r]));
    const nextIds = new Set(next.map((c) => c.id));
    const toStop = this.#running.filter((r) => {
      const n = next.find((c) => c.id === r.config.id);
      return !n || driverKey(n) !== driverKey(r.config);
    });
    const toStart = next.filter((c) => {
      const r = byId.get(c.id);
      return !r || driverKey(r.config) !== driverKey(c);
    });
    const stopped: RunningInput[] = [];
    const started: RunningInput[] = [];
    try {
      for (const r of toStop) {
        await r.driver.stop();
        stopped.push(r);
      }
      for (const c of toStart) {
        const driver = this.opts.create(c);
        started.push({ config: c, driver });
        await withTimeout(driver.start(), this.opts.startTimeoutMs, `input ${c.id} (${c.driver})`);
      }
    } catch (err) {
      await this.#rollback(started, stopped);
      throw err;
    }
    const changes: InputChanges = {
      added: toStart.filter((c) => !byId.has(c.id)).map((c) => c.id),
      removed: this.#running.filter((r) => !nextIds.has(r.config.id)).map((r) => r.config.id),
      restarted: toStart.filter((c) => byId.has(c.id)).map((c) => c.id),
      recalibrated: next.filter((c) => byId.has(c.id) && !toStart.includes(c) && calibrationKey(byId.get(c.id)!.config) !== calibrationKey(c)).map((c) => c.id),
    };
    const startedById = new Map(started.map((r) => [r.config.id, r]));
    this.#running = next.map((c) => startedById.get(c.id) ?? { config: c, driver: byId.get(c.id)!.driver });
    return changes;
  }

  /** Stops every driver; no reading reaches a sink after it resolves. */
  async stopAll(): Promise<void> {
    const running = this.#running;
    this.#running = [];
    await Promise.allSettled(running.map((r) => r.driver.stop()));
  }

  async #rollback(started: RunningInput[], stopped: RunningInput[]): Promise<void> {
    await Promise.allSettled(started.map((r) => r.driver.stop()));
    const restored = new Map<string, Driver>();
    for (const r of stopped) {
      try {
        const driver = this.opts.create(r.config);
        await driver.start();
        restored.set(r.config.id, driver);
      } catch (err) {
        this.opts.log.error({ err, input: r.config.id }, 'rollback could not restart an input; it stays stopped');
      }
    }
    this.#running = this.#running.flatMap((r) => {
      if (!stopped.includes(r)) return [r];
      const driver = restored.get(r.config.id);
      return driver ? [{ config: r.config, driver }] : [];
    });
  }
}
