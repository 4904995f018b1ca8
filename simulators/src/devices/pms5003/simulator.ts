import { TtyDevice } from '../../serial/tty-device.js';
import { createPrng, type Prng } from '../../util/prng.js';
import {
  encodePms5003Frame,
  encodePms5003Reply,
  Pms5003CommandReader,
  PMS5003_COMMAND,
  type Pms5003Command,
  type Pms5003FrameValues,
} from './frame.js';
import { cf1FromAtmospheric, clampUint16, countsFromMass, hanoiProfile, type ParticleSource } from './profile.js';

export type Pms5003Mode = 'active' | 'passive';

/** What a simulator has done so far. */
export interface Pms5003SimulatorStats {
  /** Data frames written by the timer or in answer to a read, spoiled ones included; writeFrame's bytes are not. */
  framesSent: number;
  /** Of framesSent, how many carried a deliberately corrupted checksum. */
  corruptFramesSent: number;
  /** Garbage bytes injected before frames. */
  garbageBytesSent: number;
  /** Valid 7-byte host commands received. */
  commandsReceived: number;
  /** Writes that failed (e.g. socat gone). */
  writeErrors: number;
}

export interface Pms5003SimulatorOptions {
  /** The device end of a pty (`PtyPair.devicePath`) or any tty. */
  path: string;
  /** Period of frames in active mode, ms. Default 1000 (the sensor's ≈ 1 s). */
  intervalMs?: number;
  /** Mode at power-up. Default 'active', as the real sensor. */
  mode?: Pms5003Mode;
  /** Values to report. Default: hanoiProfile({ seed }). */
  source?: ParticleSource;
  /**
   * Every N-th frame is spoiled, alternately by garbage bytes (1–16 random bytes) written just before it and by a
   * corrupted checksum. Default: never.
   */
  garbageEvery?: number;
  /** Seed of the default source's noise and of the injected garbage. Default 1. */
  seed?: number;
  /** Time given to the source. Default: the wall clock. */
  clock?: () => Date;
  /** Firmware version byte of every frame. Default 0x97 (the captured frame of vectors.json). */
  version?: number;
}

/**
 * A Plantower PMS5003 on a pty: active mode sends a 32-byte frame every `intervalMs`; it obeys the 7-byte host
 * commands (mode E1, read E2, sleep/wake E4) and acknowledges mode and sleep commands with the sensor's 8-byte
 * answer `42 4D 00 04 CMD DATA` + sum. Waking does not need the real sensor's 30 s of stabilisation.
 */
export class Pms5003Simulator {
  private readonly intervalMs: number;
  private readonly source: ParticleSource;
  private readonly clock: () => Date;
  private readonly prng: Prng;
  private readonly commands = new Pms5003CommandReader();
  private readonly device: TtyDevice;
  private currentMode: Pms5003Mode;
  private sleeping = false;
  private injections = 0;
  private last: Pms5003FrameValues | undefined;
  private readonly counters: Pms5003SimulatorStats = {
    framesSent: 0,
    corruptFramesSent: 0,
    garbageBytesSent: 0,
    commandsReceived: 0,
    writeErrors: 0,
  };

  constructor(private readonly options: Pms5003SimulatorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.currentMode = options.mode ?? 'active';
    this.source = options.source ?? hanoiProfile({ seed: options.seed ?? 1 });
    this.clock = options.clock ?? (() => new Date());
    this.prng = createPrng(options.seed ?? 1);
    if (!(this.intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
    if (options.garbageEvery !== undefined && !(Number.isInteger(options.garbageEvery) && options.garbageEvery > 0)) {
      throw new RangeError('garbageEvery must be a positive integer');
    }
    this.device = new TtyDevice({
      path: options.path,
      intervalMs: this.intervalMs,
      onData: (chunk) => this.commands.push(chunk).forEach((cmd) => this.onCommand(cmd)),
      onTick: () => {
        if (this.currentMode === 'active' && !this.sleeping) this.sendMeasurement();
      },
      onWriteError: () => {
        this.counters.writeErrors += 1;
      },
    });
  }

  /** See Pms5003SimulatorStats.framesSent. */
  get framesSent(): number {
    return this.counters.framesSent;
  }

  stats(): Pms5003SimulatorStats {
    return { ...this.counters };
  }

  get mode(): Pms5003Mode {
    return this.currentMode;
  }

  get asleep(): boolean {
    return this.sleeping;
  }

  /** Values of the last data frame sent, if any. */
  get lastValues(): Pms5003FrameValues | undefined {
    return this.last;
  }

  /** Opens the port and starts the frame timer. */
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

  private onCommand({ command, data }: Pms5003Command): void {
    this.counters.commandsReceived += 1;
    switch (command) {
      case PMS5003_COMMAND.mode:
        this.currentMode = data === 0 ? 'passive' : 'active';
        this.send(encodePms5003Reply(command, data));
        break;
      case PMS5003_COMMAND.read:
        if (this.currentMode === 'passive' && !this.sleeping) this.sendMeasurement();
        break;
      case PMS5003_COMMAND.sleep:
        this.sleeping = data === 0;
        // The sensor answers sleep; it answers wake only by measuring again.
        if (this.sleeping) this.send(encodePms5003Reply(command, data));
        break;
    }
  }

  private sendMeasurement(): void {
    const values = this.measure();
    const frame = encodePms5003Frame(values);
    let bytes = frame;
    this.counters.framesSent += 1;
    this.last = values;
    const every = this.options.garbageEvery;
    if (every !== undefined && this.counters.framesSent % every === 0) {
      this.injections += 1;
      if (this.injections % 2 === 1) {
        const garbage = Buffer.from(Array.from({ length: this.prng.int(1, 16) }, () => this.prng.int(0, 255)));
        this.counters.garbageBytesSent += garbage.length;
        bytes = Buffer.concat([garbage, frame]);
      } else {
        frame[31] = (frame[31] ?? 0) ^ 0xff;
        this.counters.corruptFramesSent += 1;
      }
    }
    this.send(bytes);
  }

  private measure(): Pms5003FrameValues {
    const sample = this.source(this.clock());
    const pm1 = clampUint16(sample.pm1);
    const pm25 = clampUint16(sample.pm25);
    const pm10 = clampUint16(sample.pm10);
    const counts = sample.counts ?? countsFromMass({ pm1, pm25, pm10 });
    return {
      pm1_cf1: cf1FromAtmospheric(pm1),
      pm25_cf1: cf1FromAtmospheric(pm25),
      pm10_cf1: cf1FromAtmospheric(pm10),
      pm1,
      pm25,
      pm10,
      counts: counts.map(clampUint16) as unknown as Pms5003FrameValues['counts'],
      version: this.options.version ?? 0x97,
      error: 0,
    };
  }

  private send(bytes: Buffer): void {
    this.device.send(bytes);
  }
}
