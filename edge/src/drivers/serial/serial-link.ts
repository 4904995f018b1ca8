import { SerialPort } from 'serialport';
import type { DriverLogger } from '../../driver.js';

export interface SerialLinkOptions {
  /** Device path, e.g. `/dev/ttyUSB0`. */
  path: string;
  baudRate: number;
  /** Parity bit; default none (PMS5003, SDS011: 8N1). */
  parity?: SerialParity;
  /** Stop bits; default 1. */
  stopBits?: 1 | 2;
  /** First reopen delay, ms; doubles per failed attempt (±20 % jitter) up to reconnectMaxMs. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  log: DriverLogger;
  /** Every chunk read, in order. Never called after stop() resolves. */
  onData(chunk: Buffer): void;
  /** Called after every successful open (the first and each reopen): the moment to (re)configure the device. */
  onOpen?(): void;
}

/** Parity settings a link can use (RS-485 Modbus RTU defaults to even). */
export type SerialParity = 'none' | 'even' | 'odd';

/** Counters of a link; `connected` is a gauge (1 while the port is open). */
export interface SerialLinkStats {
  connected: number;
  opens: number;
  openErrors: number;
  disconnects: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * A serial port that stays open: it retries opening with exponential backoff while the device is absent and
 * reopens after the port closes under it (USB unplug, adapter reset), without ever throwing at its owner.
 */
export class SerialLink {
  private port: SerialPort | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  private readonly counters: Omit<SerialLinkStats, 'connected'> = {
    opens: 0,
    openErrors: 0,
    disconnects: 0,
    bytesIn: 0,
    bytesOut: 0,
  };

  constructor(private readonly options: SerialLinkOptions) {}

  get connected(): boolean {
    return this.port !== undefined;
  }

  stats(): SerialLinkStats {
    return { connected: this.connected ? 1 : 0, ...this.counters };
  }

  /** Makes the first attempt to open; resolves after it whatever its outcome (retries go on in the background). */
  async start(): Promise<void> {
    this.connecting = this.connect();
    await this.connecting;
  }

  /** Stops retrying and closes the port; no onData after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await closePort(port).catch(() => undefined);
  }

  /** Writes to the open port. Rejects with code IOC_ERR_SERIAL_CLOSED while there is none. */
  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) {
      const err = Object.assign(new Error(`${this.options.path} is not open`), { code: 'IOC_ERR_SERIAL_CLOSED' });
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => {
        if (err) {
          reject(err);
          return;
        }
        this.counters.bytesOut += bytes.length;
        resolve();
      });
    });
  }

  private async connect(): Promise<void> {
    const { path, baudRate, parity, stopBits, log } = this.options;
    const port = new SerialPort({ path, baudRate, parity: parity ?? 'none', stopBits: stopBits ?? 1, autoOpen: false });
    port.on('error', (err) => log.warn({ err, path }, 'serial port error'));
    try {
      await openPort(port);
    } catch (err) {
      this.counters.openErrors += 1;
      // Warn once per outage; the retries that follow go to debug.
      if (this.failures === 0) log.warn({ err, path }, 'cannot open serial port; will retry');
      else log.debug({ err, path, failures: this.failures }, 'cannot open serial port; will retry');
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await closePort(port).catch(() => undefined);
      return;
    }
    this.failures = 0;
    this.port = port;
    this.counters.opens += 1;
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port || this.stopped) return;
      this.counters.bytesIn += chunk.length;
      this.options.onData(chunk);
    });
    port.once('close', (err: Error | null) => {
      if (this.port !== port || this.stopped) return;
      this.port = undefined;
      this.counters.disconnects += 1;
      log.warn({ err, path }, 'serial port closed; reopening');
      this.scheduleReconnect();
    });
    log.info({ path, baudRate }, 'serial port open');
    this.options.onOpen?.();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    const base = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(this.failures, 30));
    const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, delayMs);
  }
}

function openPort(port: SerialPort): Promise<void> {
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
}
