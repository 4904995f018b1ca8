import type { Driver, DriverContext, DriverFactory } from '../../driver.js';
import { SerialLink } from '../serial/serial-link.js';
import { SDS011_HOST_COMMANDS, workingPeriodCommand } from './commands.js';
import { parseSds011Config, type Sds011Config } from './config.js';
import { Sds011Parser, type Sds011Message } from './frame.js';
import { measurementToReadings } from './readings.js';

/** The sensor's fixed line settings: 9600 8N1. */
const BAUD_RATE = 9600;

/**
 * One SDS011 on a serial port. On every open it wakes the sensor and sets the configured reporting mode and working
 * period (the sensor may have been left asleep or in the other mode); in query mode it then sends a query command
 * every `intervalMs`, the first at once. Readings are stamped with ctx.now() when their frame arrives.
 */
class Sds011Driver implements Driver {
  readonly id: string;
  private readonly parser = new Sds011Parser();
  private readonly link: SerialLink;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readings = 0;
  private sinkErrors = 0;
  private lastFrameAt = 0;
  private deviceId = -1;
  private queriesSent = 0;
  private queriesUnanswered = 0;
  private awaitingAnswer = false;

  constructor(
    private readonly config: Sds011Config,
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
    if (this.config.mode === 'query') {
      this.pollTimer = setInterval(() => this.query(), this.config.intervalMs);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pollTimer);
    await this.link.stop();
  }

  /**
   * Parser counters (framesOk, commandReplies, checksumErrors, tailErrors, garbageBytes), link counters (connected,
   * opens, openErrors, disconnects, bytesIn, bytesOut), readings emitted, sinkErrors, lastFrameAt (epoch ms of the
   * last good measurement, 0 before the first), deviceId (the sensor's 16-bit id, -1 before the first frame), and
   * in query mode queriesSent and queriesUnanswered (a query still unanswered when the next one goes out).
   */
  stats(): Record<string, number> {
    return {
      ...this.parser.stats(),
      ...this.link.stats(),
      readings: this.readings,
      sinkErrors: this.sinkErrors,
      lastFrameAt: this.lastFrameAt,
      deviceId: this.deviceId,
      queriesSent: this.queriesSent,
      queriesUnanswered: this.queriesUnanswered,
    };
  }

  private onOpen(): void {
    this.send(SDS011_HOST_COMMANDS.work);
    this.send(this.config.mode === 'query' ? SDS011_HOST_COMMANDS.queryMode : SDS011_HOST_COMMANDS.activeMode);
    this.send(workingPeriodCommand(this.config.workingPeriodMin));
    if (this.config.mode === 'query') {
      this.awaitingAnswer = false; // a query lost with the previous port is not the sensor's fault
      this.query();
    }
  }

  private query(): void {
    if (!this.link.connected) return;
    if (this.awaitingAnswer) this.queriesUnanswered += 1;
    this.awaitingAnswer = true;
    this.queriesSent += 1;
    this.send(SDS011_HOST_COMMANDS.query);
  }

  private onData(chunk: Buffer): void {
    if (!this.running) return;
    const messages = this.parser.push(chunk);
    if (messages.length === 0) return;
    const now = this.ctx.now();
    // Measurements that arrive in one read get distinct times, 1 ms apart (one point per (sensor, metric, ts)).
    for (const message of messages) this.onMessage(message, message.kind === 'reply' ? now : Math.max(now, this.lastFrameAt + 1));
  }

  private onMessage(message: Sds011Message, ts: number): void {
    if (message.deviceId !== this.deviceId) {
      this.ctx.log.info({ deviceId: message.deviceId.toString(16).padStart(4, '0') }, 'SDS011 device id');
      this.deviceId = message.deviceId;
    }
    if (message.kind === 'reply') {
      this.ctx.log.debug({ command: message.command, data: message.data }, 'SDS011 command reply');
      return;
    }
    this.awaitingAnswer = false;
    this.lastFrameAt = ts;
    const readings = measurementToReadings(message, this.config, ts);
    this.readings += readings.length;
    try {
      this.ctx.sink(readings);
    } catch (err) {
      this.sinkErrors += 1;
      this.ctx.log.error({ err }, 'reading sink threw');
    }
  }

  private send(command: Buffer): void {
    if (!this.link.connected) return; // onOpen sends again once the port is back
    this.link.write(command).catch((err: unknown) => this.ctx.log.debug({ err }, 'SDS011 command not sent'));
  }
}

/** Registry entry of the SDS011 driver. */
export const sds011: DriverFactory<Sds011Config> = {
  name: 'sds011',
  parseConfig: parseSds011Config,
  create: (config, ctx) => new Sds011Driver(config, ctx),
};
