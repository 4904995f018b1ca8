import type { Reading } from '@ioc/protocol';
import type { Driver, DriverContext } from '../../driver.js';
import { SerialLink } from './serial-link.js';

/** What every UART dust sensor driver shares: its port, its reopen policy, and an optional polling period. */
export interface SerialSensorOptions {
  id: string;
  port: string;
  baudRate: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Calls poll() at this period while running (query/passive modes); undefined: the sensor reports by itself. */
  pollMs?: number;
  /** Names the sensor in logs, e.g. `PMS5003`. */
  model: string;
}

/**
 * The life of a sensor on a serial port, for drivers that decode frames: the link (reopened with backoff when the
 * port goes away), start/stop with the contract "no reading after stop() resolves", optional polling, readings
 * delivered to the sink with a sink that throws counted, commands sent only while the port is open, and
 * measurement times kept strictly increasing per sensor (frames read together would otherwise share one ts and
 * collapse into one point downstream).
 */
export abstract class SerialSensorDriver implements Driver {
  readonly id: string;
  protected readonly link: SerialLink;
  protected running = false;
  protected readings = 0;
  protected sinkErrors = 0;
  /** Epoch ms of the last measurement emitted, 0 before the first. */
  protected lastFrameAt = 0;
  #pollTimer: NodeJS.Timeout | undefined;

  protected constructor(
    private readonly options: SerialSensorOptions,
    protected readonly ctx: DriverContext,
  ) {
    this.id = options.id;
    this.link = new SerialLink({
      path: options.port,
      baudRate: options.baudRate,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
      log: ctx.log,
      onData: (chunk) => {
        if (this.running) this.onData(chunk);
      },
      onOpen: () => this.onOpen(),
    });
  }

  /** Bytes from the port (only while running). */
  protected abstract onData(chunk: Buffer): void;
  /** The port (re)opened: set the sensor's mode again, it may have lost it. */
  protected abstract onOpen(): void;
  /** One poll in query/passive mode. */
  protected poll(): void {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.link.start();
    if (this.options.pollMs !== undefined) this.#pollTimer = setInterval(() => this.poll(), this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.#pollTimer);
    await this.link.stop();
  }

  /** Link counters plus readings, sinkErrors and lastFrameAt; drivers add their parser's. */
  stats(): Record<string, number> {
    return { ...this.link.stats(), readings: this.readings, sinkErrors: this.sinkErrors, lastFrameAt: this.lastFrameAt };
  }

  /** The time of the next measurement: now, or 1 ms after the previous one if that is not earlier. */
  protected nextMeasurementTime(now: number): number {
    this.lastFrameAt = Math.max(now, this.lastFrameAt + 1);
    return this.lastFrameAt;
  }

  protected emit(readings: Reading[]): void {
    this.readings += readings.length;
    try {
      this.ctx.sink(readings);
    } catch (err) {
      this.sinkErrors += 1;
      this.ctx.log.error({ err }, 'reading sink threw');
    }
  }

  protected send(command: Buffer): void {
    if (!this.link.connected) return; // onOpen sends again once the port is back
    this.link.write(command).catch((err: unknown) => this.ctx.log.debug({ err }, `${this.options.model} command not sent`));
  }
}
