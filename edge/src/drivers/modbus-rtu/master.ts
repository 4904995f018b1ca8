// A Modbus RTU master: one transaction at a time on one serial line. Frames are delimited by their expected length
// (the response to a read of N registers is 5 + 2N bytes, an exception 5) and checked by CRC; before each request
// the line must have been silent for 3.5 character times (MODBUS over Serial Line V1.02 §2.5.1.1).
import { MODBUS_ERRORS, modbusError } from './errors.js';
import { encodeReadRequest, matchResponse, responseLength, type ReadRequest } from './frame.js';

/** Where requests go. The owner feeds every received chunk to ModbusRtuMaster.receive(). */
export interface ModbusTransport {
  /** Resolves once the bytes are handed to the port; rejects (e.g. IOC_ERR_SERIAL_CLOSED) when they cannot be. */
  write(bytes: Uint8Array): Promise<void>;
}

export interface ModbusLineTiming {
  baudRate: number;
  /** Bits per character: start + 8 data + parity (0/1) + stop (1/2); 11 for 8E1 and 8N2. */
  bitsPerChar: number;
}

/** Counters of the master. */
export interface ModbusMasterStats {
  /** Requests written. */
  requests: number;
  /** Normal responses with a valid CRC. */
  responses: number;
  /** Exception responses with a valid CRC. */
  exceptions: number;
  /** Requests with no complete, valid response in time. */
  timeouts: number;
  /** Requests answered by a frame whose CRC did not match (counted instead of a timeout). */
  crcErrors: number;
  /** Bytes received that were not a response: noise, late answers, bytes outside any transaction. */
  garbageBytes: number;
}

/** Receive buffer bound: far above the longest response (255 bytes); beyond it the oldest bytes are garbage. */
const MAX_RX_BYTES = 1024;

interface Pending {
  readonly req: ReadRequest;
  /** False until the request is on its way: bytes before that cannot be its answer. */
  sent: boolean;
  resolve(registers: number[]): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class ModbusRtuMaster {
  private rx: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private quietUntil = 0;
  private readonly charMs: number;
  /** t3.5, ms: 3.5 character times, fixed at 1.75 ms above 19200 baud (§2.5.1.1). */
  readonly silenceMs: number;
  private readonly counters: ModbusMasterStats = {
    requests: 0,
    responses: 0,
    exceptions: 0,
    timeouts: 0,
    crcErrors: 0,
    garbageBytes: 0,
  };

  constructor(
    private readonly transport: ModbusTransport,
    timing: ModbusLineTiming,
  ) {
    this.charMs = (timing.bitsPerChar * 1000) / timing.baudRate;
    this.silenceMs = timing.baudRate > 19_200 ? 1.75 : 3.5 * this.charMs;
  }

  stats(): ModbusMasterStats {
    return { ...this.counters };
  }

  /**
   * Reads `req.count` registers. Resolves with the unsigned 16-bit words; rejects with code IOC_ERR_MODBUS_TIMEOUT
   * after `timeoutMs` (counted from the moment the request has left the wire, at the configured baud rate),
   * IOC_ERR_MODBUS_CRC, IOC_ERR_MODBUS_EXCEPTION (with `exceptionCode`), the transport's error, or
   * IOC_ERR_MODBUS_STOPPED after abort(). One transaction at a time: a second concurrent call rejects with
   * IOC_ERR_MODBUS_BUSY.
   */
  async read(req: ReadRequest, timeoutMs: number): Promise<number[]> {
    if (this.pending) throw modbusError(MODBUS_ERRORS.busy, 'a Modbus transaction is already in progress');
    const frame = encodeReadRequest(req);
    let pending!: Pending;
    const result = new Promise<number[]>((resolve, reject) => {
      pending = { req, sent: false, resolve, reject };
    });
    // abort() may reject it before the caller holds it (while waiting for silence): not an unhandled rejection.
    result.catch(() => undefined);
    this.pending = pending;
    await this.waitForSilence();
    if (this.pending !== pending) return result; // aborted while waiting
    this.discardRx();
    pending.sent = true;
    try {
      await this.transport.write(frame);
    } catch (err) {
      this.finish(pending, () => pending.reject(err as Error));
      return result;
    }
    this.counters.requests += 1;
    if (this.pending === pending) {
      // The response may already be here: a pty answers before the write callback.
      const wireMs = (frame.length + responseLength(req)) * this.charMs;
      pending.timer = setTimeout(() => this.onTimeout(pending), timeoutMs + wireMs);
      this.match();
    }
    return result;
  }

  /** Feed every received chunk here, in order. */
  receive(chunk: Buffer): void {
    this.quietUntil = Date.now() + this.silenceMs;
    if (!this.pending?.sent) {
      this.counters.garbageBytes += chunk.length;
      return;
    }
    this.rx = this.rx.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.rx, chunk]);
    if (this.rx.length > MAX_RX_BYTES) {
      this.counters.garbageBytes += this.rx.length - MAX_RX_BYTES;
      this.rx = this.rx.subarray(this.rx.length - MAX_RX_BYTES);
    }
    this.match();
  }

  /** Abandons the transaction in progress, if any, with IOC_ERR_MODBUS_STOPPED. */
  abort(): void {
    const pending = this.pending;
    if (pending) this.finish(pending, () => pending.reject(modbusError(MODBUS_ERRORS.stopped, 'Modbus master stopped')));
  }

  private match(): void {
    const pending = this.pending;
    if (!pending || this.rx.length === 0) return;
    const { req } = pending;
    const m = matchResponse(this.rx, req);
    if (m.status === 'incomplete') return;
    this.counters.garbageBytes += m.skipped;
    this.rx = this.rx.subarray(m.skipped + (m.status === 'exception' ? 5 : m.status === 'ok' ? responseLength(req) : 0));
    if (m.status === 'ok') {
      this.counters.responses += 1;
      this.finish(pending, () => pending.resolve(m.registers));
    } else if (m.status === 'exception') {
      this.counters.exceptions += 1;
      const err = modbusError(MODBUS_ERRORS.exception, `unit ${req.unitId} answered exception ${m.exceptionCode}`, m.exceptionCode);
      this.finish(pending, () => pending.reject(err));
    } else {
      this.crcError(pending);
    }
  }

  private onTimeout(pending: Pending): void {
    if (this.pending !== pending) return;
    const m = matchResponse(this.rx, pending.req);
    if (m.status === 'crc-error' || (m.status === 'incomplete' && m.crcErrorSeen)) {
      this.crcError(pending);
      return;
    }
    this.counters.timeouts += 1;
    const { unitId, fn, address, count } = pending.req;
    const err = modbusError(MODBUS_ERRORS.timeout, `no response from unit ${unitId} to function ${fn} at ${address} (${count} registers)`);
    this.finish(pending, () => pending.reject(err));
  }

  private crcError(pending: Pending): void {
    this.counters.crcErrors += 1;
    const err = modbusError(MODBUS_ERRORS.crc, `response from unit ${pending.req.unitId} failed its CRC`);
    this.finish(pending, () => pending.reject(err));
  }

  /** Ends the transaction: no timer, silence from now, leftovers counted as garbage at the next request. */
  private finish(pending: Pending, settle: () => void): void {
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.quietUntil = Math.max(this.quietUntil, Date.now() + this.silenceMs);
    settle();
  }

  private discardRx(): void {
    this.counters.garbageBytes += this.rx.length;
    this.rx = Buffer.alloc(0);
  }

  private async waitForSilence(): Promise<void> {
    const waitMs = this.quietUntil - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
  }
}
