import type { DriverContext, DriverFactory } from '../../driver.js';
import { SerialSensorDriver } from '../serial/serial-sensor.js';
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
class Pms5003Driver extends SerialSensorDriver {
  private readonly parser = new Pms5003Parser();

  constructor(
    private readonly config: Pms5003Config,
    ctx: DriverContext,
  ) {
    super(
      { id: config.id, port: config.port, baudRate: BAUD_RATE, reconnectMinMs: config.reconnectMinMs, reconnectMaxMs: config.reconnectMaxMs, model: 'PMS5003', ...(config.mode === 'passive' ? { pollMs: config.intervalMs } : {}) },
      ctx,
    );
  }

  /**
   * Parser counters (framesOk, checksumErrors, lengthErrors, garbageBytes, commandReplies), link counters
   * (connected, opens, openErrors, disconnects, bytesIn, bytesOut), readings emitted, sinkErrors, and lastFrameAt
   * (epoch ms of the last good frame, 0 before the first: a silent sensor shows here).
   */
  override stats(): Record<string, number> {
    return { ...this.parser.stats(), ...super.stats() };
  }

  protected onOpen(): void {
    if (this.config.mode === 'passive') {
      this.send(PMS5003_HOST_COMMANDS.passiveMode);
      this.send(PMS5003_HOST_COMMANDS.read);
    } else {
      this.send(PMS5003_HOST_COMMANDS.activeMode);
    }
  }

  protected override poll(): void {
    this.send(PMS5003_HOST_COMMANDS.read);
  }

  protected onData(chunk: Buffer): void {
    const now = this.ctx.now();
    for (const frame of this.parser.push(chunk)) {
      if (frame.error !== 0) this.ctx.log.debug({ error: frame.error }, 'PMS5003 reports an error code');
      this.emit(frameToReadings(frame, this.config, this.nextMeasurementTime(now)));
    }
  }
}

/** Registry entry of the PMS5003 driver. */
export const pms5003: DriverFactory<Pms5003Config> = {
  name: 'pms5003',
  parseConfig: parsePms5003Config,
  create: (config, ctx) => new Pms5003Driver(config, ctx),
};
