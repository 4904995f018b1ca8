// Modbus RTU frames as a slave sees them: requests in, responses out. Written from MODBUS Application Protocol
// V1.1b3 and MODBUS over Serial Line V1.02, apart from the edge driver's master.
import { appendModbusCrc, hasValidModbusCrc } from './crc.js';

/** One request addressed to the bus, CRC checked and stripped. */
export interface ModbusRequest {
  /** 0 = broadcast, 1 … 247 = one slave. */
  unitId: number;
  functionCode: number;
  /** The bytes between the function code and the CRC. */
  data: Buffer;
}

/** Exception codes a simulated slave answers (MODBUS Application Protocol §7). */
export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  slaveDeviceFailure: 0x04,
} as const;

/**
 * Length of the request that starts `buf`, for the function codes whose request length the standard fixes or
 * announces (1–6: 8 bytes; 15, 16: 9 + byte count); 'more' when the bytes that tell are not here yet; undefined for
 * other functions, whose frames only the silence after them delimits.
 */
export function requestLength(buf: Buffer): number | 'more' | undefined {
  const fn = buf[1];
  if (fn === undefined) return 'more';
  if (fn >= 1 && fn <= 6) return 8;
  if (fn === 15 || fn === 16) {
    const byteCount = buf[6];
    return byteCount === undefined ? 'more' : 9 + byteCount;
  }
  return undefined;
}

/**
 * Splits the byte stream into requests. Frames of known length are cut as soon as they are complete; anything
 * else waits for flush(), which the owner calls after 3.5 character times of silence. Bytes that form no frame
 * with a valid CRC are dropped one at a time (counted in rejectedBytes), as a slave resynchronises on the next
 * silence-delimited frame.
 */
export class ModbusRequestReader {
  private pending: Buffer = Buffer.alloc(0);
  rejectedBytes = 0;

  push(chunk: Buffer): ModbusRequest[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    return this.scan(false);
  }

  /** The line went silent: whatever is pending is one frame, or garbage. */
  flush(): ModbusRequest[] {
    return this.scan(true);
  }

  private scan(silent: boolean): ModbusRequest[] {
    const out: ModbusRequest[] = [];
    while (this.pending.length >= 4) {
      const length = requestLength(this.pending);
      if (length === 'more' || (typeof length === 'number' && this.pending.length < length)) {
        if (!silent) break;
        this.drop(1); // a frame cut short: the silence proves the rest will not come
        continue;
      }
      const frameLength = length ?? (silent ? this.pending.length : 0);
      if (frameLength === 0) break; // unknown function: wait for the silence
      const frame = this.pending.subarray(0, frameLength);
      if (!hasValidModbusCrc(frame)) {
        this.drop(1);
        continue;
      }
      out.push({ unitId: frame[0] ?? 0, functionCode: frame[1] ?? 0, data: Buffer.from(frame.subarray(2, frameLength - 2)) });
      this.pending = this.pending.subarray(frameLength);
    }
    if (silent && this.pending.length > 0) this.drop(this.pending.length);
    return out;
  }

  private drop(n: number): void {
    this.rejectedBytes += n;
    this.pending = this.pending.subarray(n);
  }
}

/** Normal response to a read (03/04): unit, function, byte count, the words big-endian, CRC. */
export function encodeReadResponse(unitId: number, functionCode: number, words: readonly number[]): Buffer {
  const body = [unitId, functionCode, words.length * 2];
  for (const word of words) body.push((word >> 8) & 0xff, word & 0xff);
  return appendModbusCrc(body);
}

/** Exception response: unit, function | 0x80, exception code, CRC. */
export function encodeExceptionResponse(unitId: number, functionCode: number, exceptionCode: number): Buffer {
  return appendModbusCrc([unitId, functionCode | 0x80, exceptionCode]);
}

/** Response to a write single register (06): the echo of the request. */
export function encodeWriteSingleResponse(unitId: number, address: number, value: number): Buffer {
  return appendModbusCrc([unitId, 0x06, address >> 8, address & 0xff, value >> 8, value & 0xff]);
}
