import type { Reading } from '@ioc/protocol';

/**
 * Receives the readings of one device event (e.g. one frame). Called synchronously by the driver; must not throw.
 * Readings are fresh objects the receiver may keep.
 */
export type ReadingSink = (readings: Reading[]) => void;

/** One pino log method: `log.warn({ err }, 'reopen failed')` or `log.warn('reopen failed')`. */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

/** The part of a pino logger a driver uses; pass a child logger per driver (`logger.child({ driver: id })`). */
export interface DriverLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** A frame (or poll) a driver received but could not turn into readings. */
export interface FrameError {
  /** Stable code, e.g. `IOC_ERR_FRAME_CHECKSUM`, `IOC_ERR_MODBUS_TIMEOUT`, `IOC_ERR_MODBUS_EXCEPTION`. */
  readonly code: string;
  /** For people, e.g. `checksum 0x1234, expected 0x1235`. */
  readonly message?: string;
  /** The sensor concerned, when the driver knows it. */
  readonly sensor?: string;
}

/** What the agent gives each driver instance. */
export interface DriverContext {
  /** Where readings go. */
  readonly sink: ReadingSink;
  readonly log: DriverLogger;
  /** The agent's clock, epoch ms: drivers stamp readings with it (fake clocks in tests). */
  now(): number;
  /**
   * Optional: told of every frame-level error, synchronously, as it is counted in stats() (`ioc edge probe` prints
   * them; the agent counts them by code in /metrics). A driver that calls it must call it for every such error.
   * Must not throw. Drivers that do not call it expose their errors through stats() counters only.
   */
  readonly onFrameError?: (error: FrameError) => void;
}

/**
 * A running input, telegraf `ServiceInput` style. Contract:
 * - start() resolves once the driver is running. A device that is absent or fails is not an error of start(): the
 *   driver logs, counts and retries on its own, so one unplugged sensor never stops the agent.
 * - stop() releases every resource (ports, timers); **no reading reaches the sink after stop() resolves**.
 * - An instance runs once: start() after stop() is not supported; create a new instance instead.
 */
export interface Driver {
  /** The instance id from its config, unique within the gateway. */
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Monotonic counters and gauges for health reporting, e.g. `{ framesOk: 120, checksumErrors: 1, connected: 1 }`. */
  stats(): Record<string, number>;
}

/**
 * One kind of input (`pms5003`, `sds011`, `modbus`, …): validates its config, then makes instances.
 * Methods (not function properties) on purpose: `DriverFactory<SpecificConfig>` is then assignable to
 * `DriverFactory<unknown>`, which lets the registry be typed without `any`.
 */
export interface DriverFactory<C> {
  /** The value of the config's `driver` field. */
  readonly name: string;
  /**
   * Validates one raw input config and returns it with defaults applied, frozen. Throws an Error with
   * `code: 'IOC_ERR_CONFIG'` whose message names the full path, e.g. `inputs[0].port: must be a string`.
   * @param path where `raw` sits in the agent config, e.g. `inputs[0]`.
   */
  parseConfig(raw: unknown, path: string): C;
  /** Makes an instance; does no I/O before start(). */
  create(config: C, ctx: DriverContext): Driver;
}
