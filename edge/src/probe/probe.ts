import { SerialPort } from 'serialport';
import type { Reading } from '@ioc/protocol';
import type { DriverRegistry } from '../config.js';
import type { Driver, DriverLogger, FrameError } from '../driver.js';
import { drivers as builtinDrivers } from '../drivers/index.js';

/** One probe event: a good frame and its readings, or a frame the driver could not decode. */
export type ProbeEvent = { ok: true; readings: Reading[] } | { ok: false; error: string; message?: string; sensor?: string };

export interface ProbeOptions {
  /** A driver of the registry, e.g. `pms5003`. */
  driver: string;
  /**
   * The input's fields, as in an agent config (`port`, `mode`, `devices`, …). `id` defaults to `probe`, and `sensor`
   * too when the driver requires one.
   */
  input: Readonly<Record<string, unknown>>;
  registry?: DriverRegistry;
  log: DriverLogger;
  onEvent(event: ProbeEvent): void;
  /** Stop after this many good frames (default: run until `signal` aborts). */
  count?: number;
  signal?: AbortSignal;
  /** How often stats() counters are polled for errors of drivers that do not call onFrameError, ms. */
  pollMs?: number;
  /** Called once the driver has started (for a serial driver: after its first attempt to open the port). */
  onStart?: () => void;
}

/**
 * For drivers that report frame errors only through stats() counters: the counters that count bad frames, by
 * convention of this repository's drivers, and the code the probe reports for each.
 */
export const FRAME_ERROR_COUNTERS: Readonly<Record<string, string>> = {
  checksumErrors: 'IOC_ERR_FRAME_CHECKSUM',
  lengthErrors: 'IOC_ERR_FRAME_LENGTH',
  tailErrors: 'IOC_ERR_FRAME_TAIL',
  crcErrors: 'IOC_ERR_FRAME_CRC',
  timeouts: 'IOC_ERR_FRAME_TIMEOUT',
  exceptions: 'IOC_ERR_FRAME_EXCEPTION',
};

function probeConfig(factory: NonNullable<DriverRegistry[string]>, name: string, input: Readonly<Record<string, unknown>>): unknown {
  const raw = { id: 'probe', ...input, driver: name };
  try {
    return factory.parseConfig(raw, 'probe');
  } catch (err) {
    const e = err as { code?: string; path?: string };
    if (e.code !== 'IOC_ERR_CONFIG' || e.path !== 'probe.sensor' || 'sensor' in raw) throw err;
    return factory.parseConfig({ ...raw, sensor: 'probe' }, 'probe');
  }
}

/**
 * Runs one driver on its own and reports every frame: the technician's check of a sensor before provisioning.
 * Frame errors come from the driver's onFrameError if it calls it; otherwise from increases of its stats() counters
 * named in FRAME_ERROR_COUNTERS (one event per unit of increase). Resolves with the counts once `count` good
 * frames were seen or `signal` aborted, the driver stopped. Throws IOC_ERR_CONFIG for a bad driver name or input.
 */
export async function runProbe(opts: ProbeOptions): Promise<{ good: number; bad: number }> {
  const registry: DriverRegistry = opts.registry ?? builtinDrivers;
  const factory = Object.hasOwn(registry, opts.driver) ? registry[opts.driver] : undefined;
  if (!factory) {
    throw Object.assign(new Error(`unknown driver ${JSON.stringify(opts.driver)}; known: ${Object.keys(registry).join(', ')}`), { code: 'IOC_ERR_CONFIG' });
  }
  const config = probeConfig(factory, opts.driver, opts.input);
  let good = 0;
  let bad = 0;
  let done = false;
  let callbackSeen = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let baseline: Record<string, number> = {};

  const emit = (event: ProbeEvent): void => {
    if (done) return;
    if (event.ok) good += 1;
    else bad += 1;
    opts.onEvent(event);
    if (opts.count !== undefined && good >= opts.count) {
      done = true;
      finish();
    }
  };
  const created: Driver = factory.create(config, {
    sink: (readings: Reading[]) => {
      pollCounters();
      if (readings.length > 0) emit({ ok: true, readings });
    },
    log: opts.log,
    now: Date.now,
    onFrameError: (e: FrameError) => {
      callbackSeen = true;
      emit({ ok: false, error: e.code, ...(e.message !== undefined ? { message: e.message } : {}), ...(e.sensor !== undefined ? { sensor: e.sensor } : {}) });
    },
  });
  /** Reports the increase of each error counter since the last poll (drivers without onFrameError). */
  function pollCounters(): void {
    if (callbackSeen) return;
    const stats = created.stats();
    for (const [key, code] of Object.entries(FRAME_ERROR_COUNTERS)) {
      const increase = (stats[key] ?? 0) - (baseline[key] ?? 0);
      for (let i = 0; i < increase; i += 1) emit({ ok: false, error: code });
    }
    baseline = stats;
  }
  baseline = created.stats();
  const timer = setInterval(pollCounters, opts.pollMs ?? 100);
  const onAbort = (): void => {
    done = true;
    finish();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await created.start();
    opts.onStart?.();
    await finished;
  } finally {
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    done = true;
    await created.stop();
  }
  return { good, bad };
}

/** One serial port as the OS reports it. */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

/**
 * The serial ports of this machine (USB adapters with their identity). Needs `udevadm` on Linux (Debian package
 * `udev`); throws IOC_ERR_PORTS with that hint when the listing fails.
 */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  let ports: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    ports = await SerialPort.list();
  } catch (err) {
    throw Object.assign(new Error(`cannot list serial ports (${(err as Error).message}); on Debian: sudo apt-get install udev`), { code: 'IOC_ERR_PORTS', cause: err });
  }
  return ports.map((p) => {
    const info: SerialPortInfo = { path: p.path };
    if (p.manufacturer) info.manufacturer = p.manufacturer;
    if (p.serialNumber) info.serialNumber = p.serialNumber;
    if (p.vendorId) info.vendorId = p.vendorId;
    if (p.productId) info.productId = p.productId;
    return info;
  });
}
