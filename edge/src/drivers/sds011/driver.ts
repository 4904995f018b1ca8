import type { DriverContext, DriverFactory } from '../../driver.js';
import { SerialSensorDriver } from '../serial/serial-sensor.js';
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
class Sds011Driver extends SerialSensorDriver {
  private readonly parser = new Sds011Parser();
  private deviceId = -1;
  private queriesSent = 0;
  private queriesUnanswered = 0;
  private awaitingAnswer = false;

  constructor(
    private readonly config: Sds011Config,
    ctx: DriverContext,
  ) {
    super(
      { id: config.id, port: config.port, baudRate: BAUD_RATE, reconnectMinMs: config.reconnectMinMs, reconnectMaxMs: config.reconnectMaxMs, model: 'SDS011', ...(config.mode === 'query' ? { pollMs: config.intervalMs } : {}) },
      ctx,
    );
  }

  /**
   * Parser counters (framesOk, commandReplies, checksumErrors, tailErrors, garbageBytes), link counters (connected,
   * opens, openErrors, disconnects, bytesIn, bytesOut), readings emitted, sinkErrors, lastFrameAt (epoch ms of the
   * last good measurement, 0 before the first), deviceId (the sensor's 16-bit id, -1 before the first frame), and
   * in query mode queriesSent and queriesUnanswered (a query still unanswered when the next one goes out).
   */
  override stats(): Record<string, number> {
    return {
      ...this.parser.stats(),
      ...super.stats(),
      deviceId: this.deviceId,
      queriesSent: this.queriesSent,
      queriesUnanswered: this.queriesUnanswered,
    };
  }

  protected onOpen(): void {
    this.send(SDS011_HOST_COMMANDS.work);
    this.send(this.config.mode === 'query' ? SDS011_HOST_COMMANDS.queryMode : SDS011_HOST_COMMANDS.activeMode);
    this.send(workingPeriodCommand(this.config.workingPeriodMin));
    if (this.config.mode === 'query') {
      this.awaitingAnswer = false; // a query lost with the previous port is not the sensor's fault
      this.poll();
    }
  }

  protected override poll(): void {
    if (!this.link.connected) return;
    if (this.awaitingAnswer) this.queriesUnanswered += 1;
    this.awaitingAnswer = true;
    this.queriesSent += 1;
    this.send(SDS011_HOST_COMMANDS.query);
  }

  protected onData(chunk: Buffer): void {
    const now = this.ctx.now();
    for (const message of this.parser.push(chunk)) this.onMessage(message, now);
  }

  private onMessage(message: Sds011Message, now: number): void {
    if (message.deviceId !== this.deviceId) {
      this.ctx.log.info({ deviceId: message.deviceId.toString(16).padStart(4, '0') }, 'SDS011 device id');
      this.deviceId = message.deviceId;
    }
    if (message.kind === 'reply') {
      this.ctx.log.debug({ command: message.command, data: message.data }, 'SDS011 command reply');
      return;
    }
    this.awaitingAnswer = false;
    this.emit(measurementToReadings(message, this.config, this.nextMeasurementTime(now)));
  }
}

/** Registry entry of the SDS011 driver. */
export const sds011: DriverFactory<Sds011Config> = {
  name: 'sds011',
  parseConfig: parseSds011Config,
  create: (config, ctx) => new Sds011Driver(config, ctx),
};
