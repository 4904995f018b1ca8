// Test support only: the device's side of a pty pair and a recording DriverContext, shared by the serial drivers'
// tests. The edge does not import @ioc/simulators, so the fake device end here is deliberately dumb: it records what
// the driver sends and writes what the test tells it to.
import type { Reading } from '@ioc/protocol';
import { SerialPort } from 'serialport';
import type { DriverContext, DriverLogger } from '../../driver.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 5 ms; rejects naming `what` after `timeoutMs`. A wait, never an assertion on speed. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The device's side of the cable: records every byte the driver sends, writes what the test says. */
export class FakeDeviceEnd {
  received = Buffer.alloc(0);
  private listeners: ((chunk: Buffer) => void)[] = [];

  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const listener of this.listeners) listener(chunk);
    });
    port.on('error', () => undefined);
  }

  static async open(path: string): Promise<FakeDeviceEnd> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new FakeDeviceEnd(port);
  }

  /** Calls `listener` with every chunk received from now on. */
  onData(listener: (chunk: Buffer) => void): void {
    this.listeners.push(listener);
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

/** What a driver handed to its context: readings in order, sink calls, log lines. */
export interface RecordingContext {
  ctx: DriverContext;
  readings: Reading[];
  batches: number;
  logs: { level: string; msg: string; obj?: object }[];
}

/**
 * A DriverContext that records everything. `now()` returns `t0`, `t0 + 1000`, `t0 + 2000`, … on successive calls, so
 * the stamps of a test are exact and independent of the wall clock.
 */
export function recordingContext(t0: number): RecordingContext {
  const h: RecordingContext = { readings: [], batches: 0, logs: [], ctx: undefined as unknown as DriverContext };
  const logFn =
    (level: string) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') h.logs.push({ level, msg: objOrMsg });
      else h.logs.push({ level, msg: msg ?? '', obj: objOrMsg });
    };
  const log: DriverLogger = { debug: logFn('debug'), info: logFn('info'), warn: logFn('warn'), error: logFn('error') };
  let tick = 0;
  h.ctx = {
    sink: (readings) => {
      h.batches += 1;
      h.readings.push(...readings);
    },
    log,
    now: () => t0 + 1000 * tick++,
  };
  return h;
}
