// The poll cycle of one bus: every intervalMs, each device in turn, each of its planned reads in turn.
import type { Reading } from '@ioc/protocol';
import type { DriverContext } from '../../driver.js';
import type { ModbusDeviceConfig } from './config.js';
import { exceptionHex, exceptionName, MODBUS_ERRORS, type ModbusError } from './errors.js';
import type { ModbusRtuMaster } from './master.js';
import { planReads, type ReadBlock } from './plan.js';
import { decodeRegisters, toEngineering } from './registers.js';

export interface PollerOptions {
  readonly devices: readonly ModbusDeviceConfig[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly master: ModbusRtuMaster;
  readonly ctx: DriverContext;
  /** False while the port is closed: the cycle is skipped, nothing counts against the devices. */
  isConnected(): boolean;
}

/** Outcome of one planned read, after its retries. */
type BlockOutcome = 'ok' | 'exception' | 'garbled' | 'silent' | 'aborted';

interface DeviceState {
  readonly config: ModbusDeviceConfig;
  readonly blocks: readonly ReadBlock[];
  /** Undefined before the first poll; false after a poll with no answer at all (then: no retries). */
  online: boolean | undefined;
  responses: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
}

/**
 * Polls at a fixed rate: cycle k starts at start + k·intervalMs. A cycle that runs past the next start is counted in
 * `overruns` and the next one starts at once (no burst of catch-up cycles). Within a cycle a device that does not
 * answer costs one timeout per attempt and its remaining reads are skipped; a device that did not answer its
 * previous poll gets a single attempt, so a dead device costs exactly one timeoutMs per cycle and never holds up the
 * others beyond that.
 */
export class ModbusPoller {
  private readonly states: DeviceState[];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private cycle: Promise<void> | undefined;
  private nextAt = 0;
  /** Last failure logged per read block, so a persistent fault logs one warning, not one per poll. */
  private readonly lastProblem = new Map<string, string>();
  private readonly counters = { cycles: 0, overruns: 0, skippedCycles: 0, retries: 0, readings: 0, invalidValues: 0, sinkErrors: 0 };
  private readonly exceptionsByCode = new Map<number, number>();

  constructor(private readonly options: PollerOptions) {
    this.states = options.devices.map((config) => ({
      config,
      blocks: planReads(config),
      online: undefined,
      responses: 0,
      timeouts: 0,
      crcErrors: 0,
      exceptions: 0,
    }));
  }

  /** Planned reads per unit id (for logs and tests). */
  plans(): ReadonlyMap<number, readonly ReadBlock[]> {
    return new Map(this.states.map((s) => [s.config.unitId, s.blocks]));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.nextAt = Date.now();
    this.schedule(0);
  }

  /** Stops scheduling, abandons the transaction in progress and waits for the cycle to end. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.options.master.abort();
    await this.cycle;
  }

  /**
   * cycles, overruns, skippedCycles (port closed), retries, readings, invalidValues (NaN/∞ floats skipped),
   * sinkErrors, devicesOnline, devicesOffline, exceptionsNN per exception code seen, and per device
   * `unitN_online` (1/0, -1 before its first poll), `unitN_responses`, `unitN_timeouts`, `unitN_crcErrors`,
   * `unitN_exceptions`.
   */
  stats(): Record<string, number> {
    const out: Record<string, number> = { ...this.counters };
    out.devicesOnline = this.states.filter((s) => s.online === true).length;
    out.devicesOffline = this.states.filter((s) => s.online === false).length;
    for (const [code, n] of this.exceptionsByCode) out[`exceptions${exceptionHex(code)}`] = n;
    for (const s of this.states) {
      const u = `unit${s.config.unitId}_`;
      out[`${u}online`] = s.online === undefined ? -1 : s.online ? 1 : 0;
      out[`${u}responses`] = s.responses;
      out[`${u}timeouts`] = s.timeouts;
      out[`${u}crcErrors`] = s.crcErrors;
      out[`${u}exceptions`] = s.exceptions;
    }
    return out;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.cycle = this.runCycle();
    }, delayMs);
  }

  private async runCycle(): Promise<void> {
    if (!this.options.isConnected()) this.counters.skippedCycles += 1;
    else {
      this.counters.cycles += 1;
      for (const state of this.states) {
        if (!this.running || !this.options.isConnected()) break;
        await this.pollDevice(state);
      }
    }
    if (!this.running) return;
    this.nextAt += this.options.intervalMs;
    const now = Date.now();
    if (now > this.nextAt) {
      this.counters.overruns += 1;
      this.nextAt = now;
    }
    this.schedule(this.nextAt - now);
  }

  private async pollDevice(state: DeviceState): Promise<void> {
    let answered = false;
    for (const block of state.blocks) {
      const outcome = await this.readBlock(state, block);
      if (outcome === 'aborted') return;
      if (outcome === 'silent' && !answered) break; // the device is not there: skip its other reads
      if (outcome !== 'silent') answered = true;
    }
    this.setOnline(state, answered);
  }

  private async readBlock(state: DeviceState, block: ReadBlock): Promise<BlockOutcome> {
    const attempts = state.online === false ? 1 : 1 + this.options.retries;
    let outcome: BlockOutcome = 'silent';
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) this.counters.retries += 1;
      try {
        const { unitId } = state.config;
        const words = await this.options.master.read({ unitId, fn: block.fn, address: block.address, count: block.count }, this.options.timeoutMs);
        state.responses += 1;
        this.noteProblem(state, block, undefined);
        this.emit(state, block, words);
        return 'ok';
      } catch (err) {
        outcome = this.onReadError(state, block, err as ModbusError);
        if (outcome === 'exception' || outcome === 'aborted') return outcome;
      }
    }
    if (outcome === 'garbled') {
      // Only a read lost to CRC errors is worth a warning; one a retry saved is logged at debug.
      const msg = `Modbus responses from unit ${state.config.unitId} fail their CRC`;
      this.noteProblem(state, block, 'crc', { code: MODBUS_ERRORS.crc }, msg);
    }
    return outcome;
  }

  /** Counts and logs one failed attempt; says whether retrying makes sense ('garbled', 'silent') or not. */
  private onReadError(state: DeviceState, block: ReadBlock, err: ModbusError): BlockOutcome {
    switch (err.code) {
      case MODBUS_ERRORS.timeout:
        state.timeouts += 1;
        return 'silent';
      case MODBUS_ERRORS.crc: {
        state.crcErrors += 1;
        const { unitId, sensor } = state.config;
        this.options.ctx.log.debug({ code: err.code, unitId, sensor, function: block.fn, address: block.address }, err.message);
        return 'garbled';
      }
      case MODBUS_ERRORS.exception: {
        const code = err.exceptionCode ?? 0;
        state.exceptions += 1;
        this.exceptionsByCode.set(code, (this.exceptionsByCode.get(code) ?? 0) + 1);
        const name = exceptionName(code);
        const msg = `Modbus exception ${exceptionHex(code)} (${name}) from unit ${state.config.unitId}`;
        this.noteProblem(state, block, `exception ${code}`, { code: err.code, exceptionCode: code, exception: name }, msg);
        return 'exception';
      }
      case MODBUS_ERRORS.stopped:
        return 'aborted';
      default:
        // The port went away mid-transaction (IOC_ERR_SERIAL_CLOSED): the link reconnects on its own.
        this.options.ctx.log.debug({ err }, 'Modbus request not sent');
        return 'aborted';
    }
  }

  /**
   * Logs a read block's fault when it starts or changes (warn) and repeats of it at debug; `problem` undefined marks
   * the block healthy again.
   */
  private noteProblem(state: DeviceState, block: ReadBlock, problem: string | undefined, fields?: object, msg?: string): void {
    const key = `${state.config.unitId}:${block.fn}:${block.address}`;
    if (problem === undefined) {
      this.lastProblem.delete(key);
      return;
    }
    const { unitId, sensor } = state.config;
    const entry = { ...fields, unitId, sensor, function: block.fn, address: block.address, count: block.count };
    if (this.lastProblem.get(key) === problem) this.options.ctx.log.debug(entry, msg ?? problem);
    else this.options.ctx.log.warn(entry, msg ?? problem);
    this.lastProblem.set(key, problem);
  }

  private setOnline(state: DeviceState, answered: boolean): void {
    const { unitId, sensor } = state.config;
    if (!answered && state.online !== false) {
      this.options.ctx.log.warn({ code: MODBUS_ERRORS.timeout, unitId, sensor }, `Modbus unit ${unitId} does not answer`);
    } else if (answered && state.online === false) {
      this.options.ctx.log.info({ unitId, sensor }, `Modbus unit ${unitId} answers again`);
    }
    state.online = answered;
  }

  private emit(state: DeviceState, block: ReadBlock, words: readonly number[]): void {
    const ts = this.options.ctx.now();
    const readings: Reading[] = [];
    for (const { register, index } of block.fields) {
      const raw = decodeRegisters(words.slice(index, index + 2), register.type, register.wordOrder);
      const value = toEngineering(raw, register.scale, register.offset);
      if (!Number.isFinite(value)) {
        this.counters.invalidValues += 1;
        this.options.ctx.log.debug({ unitId: state.config.unitId, metric: register.metric, raw }, 'Modbus register holds no number');
        continue;
      }
      readings.push({ sensor: state.config.sensor, metric: register.metric, ts, value, quality: 'good' });
    }
    if (readings.length === 0) return;
    this.counters.readings += readings.length;
    try {
      this.options.ctx.sink(readings);
    } catch (err) {
      this.counters.sinkErrors += 1;
      this.options.ctx.log.error({ err }, 'reading sink threw');
    }
  }
}
