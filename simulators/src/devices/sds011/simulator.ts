import { TtyDevice } from '../../serial/tty-device.js';
import { createPrng, type Prng } from '../../util/prng.js';
import {
  encodeSds011Measurement,
  encodeSds011Reply,
  SDS011_ANY_DEVICE,
  SDS011_COMMAND,
  Sds011CommandReader,
  type Sds011HostCommand,
} from './frame.js';
import { hanoiDustProfile, type DustSample, type DustSource } from './profile.js';

/** `active`: the sensor reports on its own ("reporting mode"); `query`: it answers query commands only. */
export type Sds011Mode = 'active' | 'query';

/** What a simulator has done so far. */
export interface Sds011SimulatorStats {
  /** Measurement frames written by the timer or in answer to a query, spoiled ones included; writeFrame's are not. */
  framesSent: number;
  /** Of framesSent, how many carried a deliberately wrong checksum. */
  corruptFramesSent: number;
  /** Of framesSent, how many carried a deliberately wrong tail byte. */
  badTailFramesSent: number;
  /** Garbage bytes injected before frames. */
  garbageBytesSent: number;
  /** Valid 19-byte host commands obeyed (addressed to this sensor's id or to FF FF). */
  commandsReceived: number;
  /** Valid host commands ignored: addressed to another id, unknown command, or not obeyed while asleep. */
  commandsIgnored: number;
  /** `AA C5` replies written. */
  repliesSent: number;
  /** Writes that failed (e.g. socat gone). */
  writeErrors: number;
}

export interface Sds011SimulatorOptions {
  /** The device end of a pty (`PtyPair.devicePath`) or any tty. */
  path: string;
  /** Period of measurements in active mode (working period 0), ms. Default 1000 (the sensor's 1 s). */
  intervalMs?: number;
  /** Mode at power-up. Default 'active', as the real sensor leaves the factory. */
  mode?: Sds011Mode;
  /** The sensor's 16-bit id, sent in every frame. Default 0xa160 (the protocol sheet's example). */
  deviceId?: number;
  /** Firmware date answered to command 7: [year − 2000, month, day]. Default [15, 7, 10]. */
  firmware?: readonly [number, number, number];
  /** Values to report, µg/m³. Default: hanoiDustProfile({ seed }). */
  source?: DustSource;
  /**
   * Every N-th measurement is spoiled, in turn by garbage bytes (1–16 random bytes) written just before it, by a wrong
   * checksum and by a wrong tail byte. Default: never.
   */
  garbageEvery?: number;
  /** Seed of the default source's noise and of the injected garbage. Default 1. */
  seed?: number;
  /** Time given to the source and used for the working period. Default: the wall clock. */
  clock?: () => Date;
}

const SET = 1;
const MINUTE_MS = 60_000;

/**
 * A Nova Fitness SDS011 on a pty. Active mode sends a 10-byte measurement every `intervalMs` (or one per working
 * period); query mode answers each query command (4) with one measurement. Answers the reporting-mode (2), device-id
 * (5), sleep/work (6), firmware (7) and working-period (8) commands with the `AA C5` replies of the protocol sheet
 * V1.3. Commands for another device id are ignored. Asleep it sends nothing and obeys only sleep/work commands.
 */
export class Sds011Simulator {
  private readonly intervalMs: number;
  private readonly source: DustSource;
  private readonly clock: () => Date;
  private readonly prng: Prng;
  private readonly commands = new Sds011CommandReader();
  private readonly device: TtyDevice;
  private currentMode: Sds011Mode;
  private id: number;
  private sleeping = false;
  private periodMin = 0;
  private lastReportAt = -Infinity;
  private injections = 0;
  private last: DustSample | undefined;
  private readonly counters: Sds011SimulatorStats = {
    framesSent: 0,
    corruptFramesSent: 0,
    badTailFramesSent: 0,
    garbageBytesSent: 0,
    commandsReceived: 0,
    commandsIgnored: 0,
    repliesSent: 0,
    writeErrors: 0,
  };

  constructor(private readonly options: Sds011SimulatorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.currentMode = options.mode ?? 'active';
    this.id = options.deviceId ?? 0xa160;
    this.source = options.source ?? hanoiDustProfile({ seed: options.seed ?? 1 });
    this.clock = options.clock ?? (() => new Date());
    this.prng = createPrng(options.seed ?? 1);
    if (!(this.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    if (!Number.isInteger(this.id) || this.id < 0 || this.id >= SDS011_ANY_DEVICE) {
      throw new RangeError('deviceId must be an integer in 0..0xfffe');
    }
    if (options.garbageEvery !== undefined && !(Number.isInteger(options.garbageEvery) && options.garbageEvery > 0)) {
      throw new RangeError('garbageEvery must be a positive integer');
    }
    this.device = new TtyDevice({
      path: options.path,
      intervalMs: this.intervalMs,
      onData: (chunk) => this.commands.push(chunk).forEach((cmd) => this.onCommand(cmd)),
      onTick: () => this.onTick(),
      onWriteError: () => {
        this.counters.writeErrors += 1;
      },
    });
  }

  stats(): Sds011SimulatorStats {
    return { ...this.counters };
  }

  get mode(): Sds011Mode {
    return this.currentMode;
  }

  get asleep(): boolean {
    return this.sleeping;
  }

  /** The id the sensor currently answers to and sends (command 5 changes it). */
  get deviceId(): number {
    return this.id;
  }

  /** Working period in minutes (0 = continuous), as last set by command 8. */
  get workingPeriodMin(): number {
    return this.periodMin;
  }

  /** Values of the last measurement sent, if any, µg/m³ as encoded (0.1 resolution). */
  get lastValues(): DustSample | undefined {
    return this.last;
  }

  /** Opens the port and starts the measurement timer. */
  async start(): Promise<void> {
    await this.device.start();
  }

  /** Stops the timer and closes the port: nothing is written after this resolves. */
  async stop(): Promise<void> {
    await this.device.stop();
  }

  /** Writes exact bytes (a hand-made frame, garbage) to the port; counted in no statistic. */
  writeFrame(bytes: Uint8Array): Promise<void> {
    return this.device.writeFrame(bytes);
  }

  private onTick(): void {
    if (this.currentMode !== 'active' || this.sleeping) return;
    // With a working period the sensor measures for 30 s once per period and reports once.
    const now = this.clock().getTime();
    if (this.periodMin > 0 && now - this.lastReportAt < this.periodMin * MINUTE_MS) return;
    this.lastReportAt = now;
    this.sendMeasurement();
  }

  private onCommand(cmd: Sds011HostCommand): void {
    if (cmd.target !== SDS011_ANY_DEVICE && cmd.target !== this.id) {
      this.counters.commandsIgnored += 1;
      return;
    }
    if (this.sleeping && cmd.command !== SDS011_COMMAND.sleepWork) {
      this.counters.commandsIgnored += 1;
      return;
    }
    if (this.obey(cmd)) this.counters.commandsReceived += 1;
    else this.counters.commandsIgnored += 1;
  }

  /** Carries out one command addressed to this sensor; false for a command number the sensor does not know. */
  private obey(cmd: Sds011HostCommand): boolean {
    const [a0 = 0, a1 = 0] = cmd.args;
    const set = a0 === SET;
    switch (cmd.command) {
      case SDS011_COMMAND.reportingMode:
        if (set) this.currentMode = a1 === 1 ? 'query' : 'active';
        this.reply(cmd.command, a0, this.currentMode === 'query' ? 1 : 0, 0);
        return true;
      case SDS011_COMMAND.queryData:
        this.sendMeasurement();
        return true;
      case SDS011_COMMAND.setDeviceId:
        this.id = ((cmd.args[10] ?? 0) << 8) | (cmd.args[11] ?? 0);
        this.reply(cmd.command, 0, 0, 0);
        return true;
      case SDS011_COMMAND.sleepWork:
        if (set) this.sleeping = a1 === 0;
        this.reply(cmd.command, a0, this.sleeping ? 0 : 1, 0);
        return true;
      case SDS011_COMMAND.firmware: {
        const [y, m, d] = this.options.firmware ?? [15, 7, 10];
        this.reply(cmd.command, y, m, d);
        return true;
      }
      case SDS011_COMMAND.workingPeriod:
        if (set) this.periodMin = Math.min(30, a1);
        this.reply(cmd.command, a0, this.periodMin, 0);
        return true;
      default:
        return false;
    }
  }

  private reply(command: number, d2: number, d3: number, d4: number): void {
    this.counters.repliesSent += 1;
    this.send(encodeSds011Reply(command, d2, d3, d4, this.id));
  }

  private sendMeasurement(): void {
    const sample = this.source(this.clock());
    const frame = encodeSds011Measurement(sample.pm25, sample.pm10, this.id);
    this.last = { pm25: frame.readUInt16LE(2) / 10, pm10: frame.readUInt16LE(4) / 10 };
    this.counters.framesSent += 1;
    this.send(this.spoil(frame));
  }

  /** Applies the garbageEvery fault injection to a fresh frame. */
  private spoil(frame: Buffer): Buffer {
    const every = this.options.garbageEvery;
    if (every === undefined || this.counters.framesSent % every !== 0) return frame;
    this.injections += 1;
    switch (this.injections % 3) {
      case 1: {
        const garbage = Buffer.from(Array.from({ length: this.prng.int(1, 16) }, () => this.prng.int(0, 255)));
        this.counters.garbageBytesSent += garbage.length;
        return Buffer.concat([garbage, frame]);
      }
      case 2:
        frame[8] = (frame[8] ?? 0) ^ 0xff;
        this.counters.corruptFramesSent += 1;
        return frame;
      default:
        frame[9] = 0x00;
        this.counters.badTailFramesSent += 1;
        return frame;
    }
  }

  private send(bytes: Buffer): void {
    this.device.send(bytes);
  }
}
