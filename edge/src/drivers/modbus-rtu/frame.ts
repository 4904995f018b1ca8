// Modbus RTU ADUs of the two read functions: address (1) · function (1) · data · CRC-16 (2, low byte first).
// Request: unit, 03|04, start address (BE), quantity (BE), CRC. Normal response: unit, 03|04, byte count = 2·N,
// N registers (BE), CRC. Exception response: unit, function | 0x80, exception code, CRC.
// Source: MODBUS Application Protocol V1.1b3 §6.3–6.4, §7; MODBUS over Serial Line V1.02 §2.5.1.
import { crcValid, withCrc } from './crc.js';

/** Read Holding Registers (03) and Read Input Registers (04). */
export type ReadFunction = 3 | 4;

/** At most 125 registers per read (the response's byte count must fit one byte: 250). */
export const MAX_READ_REGISTERS = 125;

/** One read transaction. */
export interface ReadRequest {
  /** 1 … 247. */
  readonly unitId: number;
  readonly fn: ReadFunction;
  /** First register, 0-based protocol address (manuals' 40001 / 30001 is 0). */
  readonly address: number;
  /** Registers to read, 1 … 125. */
  readonly count: number;
}

/** The 8-byte request frame. */
export function encodeReadRequest(req: ReadRequest): Buffer {
  const pdu = Buffer.alloc(6);
  pdu.writeUInt8(req.unitId, 0);
  pdu.writeUInt8(req.fn, 1);
  pdu.writeUInt16BE(req.address, 2);
  pdu.writeUInt16BE(req.count, 4);
  return withCrc(pdu);
}

/** Length in bytes of the normal response to `req`. */
export function responseLength(req: Pick<ReadRequest, 'count'>): number {
  return 5 + 2 * req.count;
}

const EXCEPTION_LENGTH = 5;

/** What the bytes received so far say about the answer to `req`. */
export type ResponseMatch =
  /** No complete valid candidate yet: wait for more bytes. `crcErrorSeen`: a complete candidate failed its CRC. */
  | { readonly status: 'incomplete'; readonly crcErrorSeen: boolean }
  /** The registers, as unsigned 16-bit words; `skipped` bytes preceded the response. */
  | { readonly status: 'ok'; readonly registers: number[]; readonly skipped: number }
  | { readonly status: 'exception'; readonly exceptionCode: number; readonly skipped: number }
  /** A complete candidate (right unit, function and length) whose CRC did not match, and nothing else to wait for. */
  | { readonly status: 'crc-error'; readonly skipped: number };

type Candidate = ResponseMatch | 'none' | 'partial';

/**
 * Finds the answer to `req` in `rx`: a position where the unit id, the function (or function | 0x80) and, for a
 * normal response, the byte count all fit, and the CRC holds. Bytes before it (line noise at bus turn-around, a late
 * answer to an earlier request) are skipped. Never throws.
 */
export function matchResponse(rx: Buffer, req: ReadRequest): ResponseMatch {
  let crcErrorAt: number | undefined;
  let partial = false;
  for (let i = 0; i < rx.length; i += 1) {
    const candidate = candidateAt(rx, i, req);
    if (candidate === 'none') continue;
    if (candidate === 'partial') partial = true;
    else if (candidate.status === 'crc-error') crcErrorAt ??= i;
    else return candidate;
  }
  if (partial || crcErrorAt === undefined) return { status: 'incomplete', crcErrorSeen: crcErrorAt !== undefined };
  return { status: 'crc-error', skipped: crcErrorAt };
}

function candidateAt(rx: Buffer, i: number, req: ReadRequest): Candidate {
  if (rx[i] !== req.unitId) return 'none';
  const fn = rx[i + 1];
  if (fn === undefined) return 'partial';
  if (fn === req.fn) {
    const byteCount = rx[i + 2];
    if (byteCount === undefined) return 'partial';
    if (byteCount !== 2 * req.count) return 'none';
    const total = responseLength(req);
    if (rx.length - i < total) return 'partial';
    const frame = rx.subarray(i, i + total);
    if (!crcValid(frame)) return { status: 'crc-error', skipped: i };
    return { status: 'ok', registers: words(frame.subarray(3, total - 2)), skipped: i };
  }
  if (fn === (req.fn | 0x80)) {
    if (rx.length - i < EXCEPTION_LENGTH) return 'partial';
    const frame = rx.subarray(i, i + EXCEPTION_LENGTH);
    if (!crcValid(frame)) return { status: 'crc-error', skipped: i };
    return { status: 'exception', exceptionCode: frame.readUInt8(2), skipped: i };
  }
  return 'none';
}

function words(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(data.readUInt16BE(i));
  return out;
}
