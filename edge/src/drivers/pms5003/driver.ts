import type { Driver, DriverContext, DriverFactory } from '../../driver.js';
import { SerialLink } from '../serial/serial-link.js';
import { parsePms5003Config, type Pms5003Config } from './config.js';
import { Pms5003Parser } from './frame.js';
import { frameToReadings } from './readings.js';

/** Host commands, 7 bytes `42 4D CMD 00 DATA` + 16-bit sum (SENSOR-PROTOCOLS.md). */
export const PMS5003_HOST_COMMANDS = {
  passiveMode: Buffer.from('424de100000170', 'hex'),
  activeMode: Buffer.from('424de100010171', 'hex'),
  read: Buffer.from('424de200000171', 'hex'),
} as const;

/** The sensor's fixed line settings: 9600 8N1 (serialport's defaults apart from the rate). */
const BAUD_RATE = 9600;

/**
 * One PMS5003 on a serial port. On every open it sends the configured mode command (the sensor remembers no mode
 * across power cycles, and a previous agent may have left it passive); in passive mode it then sends a read command
 * every `intervalMs`. Readings are stamped with ctx.now() when their frame arrives.
 */
class Pms5003Driver implements Driver {
  readonly id: string;
  private readonly parser = new Pms5003Parser();
  private readonly link: SerialLink;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readings = 0;
  private sinkErrors = 0;
  private lastFrameAt = 0;

  constructor(
    private readonly config: Pms5003Config,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.link = new SerialLink({
      path: config.port,
      baudRate: BAUD_RATE,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      log: ctx.log,
      onData: (chunk) => this.onData(chunk),
      onOpen: () => this.onOpen(),
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.link.start();
    if (this.config.mode === 'passive') {
      this.pollTimer = setInterval(() => this.send(PMS5003_HOST_COMMANDS.read), this.config.intervalMs);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pollTimer);
    await this.link.stop();
  }

  /**
   * Parser counters (framesOk, checksumErrors, lengthErrors, garbageBytes, commandReplies), link counters
   * (connected, opens, openErrors, disconnects, bytesIn, bytesOut), readings emitted, sinkErrors, and lastFrameAt
   * (epoch ms of the last good frame, 0 before the first: a silent sensor shows here).
   */
  stats(): Record<string, number> {
    return {
      ...this.parser.stats(),
      ...this.link.stats(),
      readings: this.readings,
      sinkErrors: this.sinkErrors,
      lastFrameAt: this.lastFrameAt,
    };
  }

  private onOpen(): void {
    if (this.config.mode === 'passive') {
      this.send(PMS5003_HOST_COMMANDS.passiveMode);
      this.send(PMS5003_HOST_COMMANDS.read);
    } else {
      this.send(PMS5003_HOST_COMMANDS.activeMode);
    }
  }

  private onData(chunk: Buffer): void {
    if (!this.running) return;
    const frames = this.parser.push(chunk);
    if (frames.length === 0) return;
    const now = this.ctx.now();
    for (const frame of frames) {
      // Frames that arrive in one read (the event loop stalled) get distinct times, 1 ms apart: the same
      // (sensor, metric, ts) would be one point downstream, and a reading would be lost.
      const ts = Math.max(now, this.lastFrameAt + 1);
      this.lastFrameAt = ts;
      if (frame.error !== 0) this.ctx.log.debug({ error: frame.error }, 'PMS5003 reports an error code');
      const readings = frameToReadings(frame, this.config, ts);
      this.readings += readings.length;
      try {
        this.ctx.sink(readings);
      } catch (err) {
        this.sinkErrors += 1;
        this.ctx.log.error({ err }, 'reading sink threw');
      }
    }
  }

  private send(command: Buffer): void {
    if (!this.link.connected) return; // onOpen sends again once the port is back
    this.link.write(command).catch((err: unknown) => this.ctx.log.debug({ err }, 'PMS5003 command not sent'));
  }
}

/** Registry entry of the PMS5003 driver. */
export const pms5003: DriverFactory<Pms5003Config> = {
  name: 'pms5003',
  parseConfig: parsePms5003Config,
  create: (config, ctx) => new Pms5003Driver(config, ctx),
};
