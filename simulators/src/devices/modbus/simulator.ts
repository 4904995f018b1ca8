import { openTtyPort, type TtyPort } from '../../serial/tty-port.js';
import { codedError } from '../../util/errors.js';
import {
  encodeExceptionResponse,
  encodeReadResponse,
  encodeWriteSingleResponse,
  MODBUS_EXCEPTION,
  ModbusRequestReader,
  type ModbusRequest,
} from './frame.js';
import { encodeRegisterDef, wordsOf, type ModbusRegisterDef } from './registers.js';

/** One simulated slave on the bus. */
export interface ModbusUnitDef {
  /** 1 … 247. */
  unitId: number;
  /** Holding registers (read by function 03, written by 06). */
  holding?: readonly ModbusRegisterDef[];
  /** Input registers (read by function 04). */
  input?: readonly ModbusRegisterDef[];
  /** Answer every request with exception 04 (slave device failure), as a device with a broken probe does. */
  failing?: boolean;
}

export interface ModbusSlaveSimulatorOptions {
  /** The device end of a pty (`PtyPair.devicePath`) or any tty. */
  path: string;
  /** The slaves answering on this bus. Unit ids not listed stay silent, as on a real bus. */
  units: readonly ModbusUnitDef[];
  /** Line speed, for the 3.5-character silence that ends a frame of unknown length. Default 9600. */
  baudRate?: number;
  /** Time given to the register values. Default: the wall clock. */
  clock?: () => Date;
  /** Delay before every reply, ms. Default 0. */
  slowReplyMs?: number;
  /** Every N-th request to a known, online unit gets no reply. Default: never. */
  dropEvery?: number;
  /** Every N-th reply goes out with a wrong CRC. Default: never. */
  corruptCrcEvery?: number;
}

/** What the simulated bus has done so far. */
export interface ModbusSlaveSimulatorStats {
  /** Requests with a valid CRC addressed to a known, online unit (or broadcast). */
  requests: number;
  /** Replies written (normal and exception, corrupted ones included). */
  replies: number;
  /** Of replies, exception responses. */
  exceptions: number;
  /** Requests left unanswered on purpose (dropEvery). */
  dropped: number;
  /** Replies sent with a wrong CRC (corruptCrcEvery). */
  corruptReplies: number;
  /** Requests for unit ids nobody answers (not listed, or offline). */
  ignored: number;
  /** Bytes that formed no frame with a valid CRC. */
  rejectedBytes: number;
  /** Writes to the port that failed. */
  writeErrors: number;
}

interface UnitState {
  readonly def: ModbusUnitDef;
  online: boolean;
  /** Words written by function 06, by address; they override the holding map until overwritten. */
  readonly written: Map<number, number>;
}

const MAX_READ = 125;

/**
 * One RS-485 bus of Modbus RTU slaves on a pty. Answers 03 (read holding), 04 (read input) and 06 (write single
 * holding register) for each listed unit id from its register map; exception 02 for an address outside the map,
 * 03 for a bad quantity, 01 for any other function; silence for unknown unit ids and for broadcasts (unit 0, of
 * which only 06 is obeyed). Fault options: slowReplyMs, dropEvery, corruptCrcEvery, and a unit's `failing` flag.
 */
export class ModbusSlaveSimulator {
  private readonly units = new Map<number, UnitState>();
  private readonly reader = new ModbusRequestReader();
  private readonly clock: () => Date;
  private readonly silenceMs: number;
  private port: TtyPort | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly replyTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly counters: Omit<ModbusSlaveSimulatorStats, 'rejectedBytes'> = {
    requests: 0,
    replies: 0,
    exceptions: 0,
    dropped: 0,
    corruptReplies: 0,
    ignored: 0,
    writeErrors: 0,
  };

  constructor(private readonly options: ModbusSlaveSimulatorOptions) {
    this.clock = options.clock ?? (() => new Date());
    const baud = options.baudRate ?? 9600;
    this.silenceMs = Math.max(2, Math.ceil((3.5 * 11 * 1000) / baud));
    for (const def of options.units) {
      if (!Number.isInteger(def.unitId) || def.unitId < 1 || def.unitId > 247) throw new RangeError(`unit id ${def.unitId}: must be 1 … 247`);
      if (this.units.has(def.unitId)) throw new RangeError(`unit id ${def.unitId} is listed twice`);
      checkMap(def.holding ?? [], `unit ${def.unitId} holding`);
      checkMap(def.input ?? [], `unit ${def.unitId} input`);
      this.units.set(def.unitId, { def, online: true, written: new Map() });
    }
    for (const [name, n] of [['dropEvery', options.dropEvery], ['corruptCrcEvery', options.corruptCrcEvery]] as const) {
      if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new RangeError(`${name} must be a positive integer`);
    }
  }

  stats(): ModbusSlaveSimulatorStats {
    return { ...this.counters, rejectedBytes: this.reader.rejectedBytes };
  }

  /** Unplugs (false) or reconnects (true) one unit: an offline unit stays silent. */
  setUnitOnline(unitId: number, online: boolean): void {
    const unit = this.units.get(unitId);
    if (!unit) throw new RangeError(`no unit ${unitId} on this bus`);
    unit.online = online;
  }

  /** Opens the port; requests are answered from now on. */
  async start(): Promise<void> {
    if (this.port || this.stopped) throw codedError('IOC_ERR_SIM_STATE', 'simulator already started');
    this.port = await openTtyPort(this.options.path);
    this.port.onData((chunk) => this.onData(chunk));
  }

  /** Closes the port; no reply is written after this resolves (pending slow replies are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.silenceTimer);
    for (const timer of this.replyTimers) clearTimeout(timer);
    this.replyTimers.clear();
    await this.port?.close();
  }

  /** Writes exact bytes (a hand-made frame, garbage) to the bus; counted in no statistic. */
  writeFrame(bytes: Uint8Array): Promise<void> {
    if (!this.port || this.stopped) return Promise.reject(codedError('IOC_ERR_SIM_STATE', 'simulator is not running'));
    return this.port.write(bytes);
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    this.reader.push(chunk).forEach((req) => this.onRequest(req));
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.reader.flush().forEach((req) => this.onRequest(req)), this.silenceMs);
  }

  private onRequest(req: ModbusRequest): void {
    if (req.unitId === 0) {
      this.counters.requests += 1;
      if (req.functionCode === 0x06) for (const unit of this.units.values()) this.writeSingle(unit, req); // no reply
      return;
    }
    const unit = this.units.get(req.unitId);
    if (!unit?.online) {
      this.counters.ignored += 1;
      return;
    }
    this.counters.requests += 1;
    const every = this.options.dropEvery;
    if (every !== undefined && this.counters.requests % every === 0) {
      this.counters.dropped += 1;
      return;
    }
    this.reply(this.answer(unit, req));
  }

  private answer(unit: UnitState, req: ModbusRequest): Buffer {
    const { unitId } = unit.def;
    const fail = (code: number): Buffer => encodeExceptionResponse(unitId, req.functionCode, code);
    if (unit.def.failing) return fail(MODBUS_EXCEPTION.slaveDeviceFailure);
    switch (req.functionCode) {
      case 0x03:
      case 0x04: {
        if (req.data.length !== 4) return fail(MODBUS_EXCEPTION.illegalDataValue);
        const address = req.data.readUInt16BE(0);
        const count = req.data.readUInt16BE(2);
        if (count < 1 || count > MAX_READ) return fail(MODBUS_EXCEPTION.illegalDataValue);
        const words = this.read(unit, req.functionCode === 0x03 ? 'holding' : 'input', address, count);
        return words ? encodeReadResponse(unitId, req.functionCode, words) : fail(MODBUS_EXCEPTION.illegalDataAddress);
      }
      case 0x06:
        if (req.data.length !== 4) return fail(MODBUS_EXCEPTION.illegalDataValue);
        return this.writeSingle(unit, req) ? encodeWriteSingleResponse(unitId, req.data.readUInt16BE(0), req.data.readUInt16BE(2)) : fail(MODBUS_EXCEPTION.illegalDataAddress);
      default:
        return fail(MODBUS_EXCEPTION.illegalFunction);
    }
  }

  /** The words at [address, address + count), or undefined when one of them is outside the map. */
  private read(unit: UnitState, table: 'holding' | 'input', address: number, count: number): number[] | undefined {
    const now = this.clock();
    const words = new Map<number, number>();
    for (const def of unit.def[table] ?? []) {
      if (def.address + wordsOf(def.type) <= address || def.address >= address + count) continue;
      encodeRegisterDef(def, now).forEach((word, i) => words.set(def.address + i, word));
    }
    const out: number[] = [];
    for (let a = address; a < address + count; a += 1) {
      const word = (table === 'holding' ? unit.written.get(a) : undefined) ?? words.get(a);
      if (word === undefined) return undefined;
      out.push(word);
    }
    return out;
  }

  /** Function 06: stores the word if the address is in the holding map; false otherwise. */
  private writeSingle(unit: UnitState, req: ModbusRequest): boolean {
    if (req.data.length !== 4) return false;
    const address = req.data.readUInt16BE(0);
    const mapped = (unit.def.holding ?? []).some((d) => address >= d.address && address < d.address + wordsOf(d.type));
    if (mapped) unit.written.set(address, req.data.readUInt16BE(2));
    return mapped;
  }

  private reply(frame: Buffer): void {
    this.counters.replies += 1;
    if (((frame[1] ?? 0) & 0x80) !== 0) this.counters.exceptions += 1;
    const every = this.options.corruptCrcEvery;
    if (every !== undefined && this.counters.replies % every === 0) {
      frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
      this.counters.corruptReplies += 1;
    }
    const delay = this.options.slowReplyMs ?? 0;
    if (delay <= 0) {
      this.send(frame);
      return;
    }
    const timer = setTimeout(() => {
      this.replyTimers.delete(timer);
      this.send(frame);
    }, delay);
    this.replyTimers.add(timer);
  }

  private send(bytes: Buffer): void {
    if (!this.port || this.stopped) return;
    this.port.write(bytes).catch(() => {
      this.counters.writeErrors += 1;
    });
  }
}

/** Refuses overlapping or out-of-range definitions: each register address has one meaning. */
function checkMap(defs: readonly ModbusRegisterDef[], what: string): void {
  const taken = new Set<number>();
  for (const def of defs) {
    const n = wordsOf(def.type);
    if (!Number.isInteger(def.address) || def.address < 0 || def.address + n - 1 > 0xffff) {
      throw new RangeError(`${what}: address ${def.address} out of range`);
    }
    for (let a = def.address; a < def.address + n; a += 1) {
      if (taken.has(a)) throw new RangeError(`${what}: register ${a} is defined twice`);
      taken.add(a);
    }
  }
}
