// Plantower PMS5003 frames (also PMS7003, PMSA003), per ../shared/domain/SENSOR-PROTOCOLS.md:
// `42 4D`, length 28 (BE), 13 BE words, checksum = 16-bit sum of bytes 0–29 (BE).

/** One decoded data frame. Concentrations µg/m³; counts are particles per 0.1 L of air. */
export interface Pms5003Frame {
  /** PM1.0 / PM2.5 / PM10 with CF=1 ("standard particle") calibration: for factory use, not reported. */
  pm1_cf1: number;
  pm25_cf1: number;
  pm10_cf1: number;
  /** PM1.0 / PM2.5 / PM10 under atmospheric environment: the values reported as pm1, pm25, pm10. */
  pm1: number;
  pm25: number;
  pm10: number;
  /** Particles larger than 0.3, 0.5, 1.0, 2.5, 5.0 and 10 µm. */
  counts: [number, number, number, number, number, number];
  /** Firmware version byte. */
  version: number;
  /** Error code byte; 0 = none. */
  error: number;
}

/** What the parser has seen so far. Counters only grow. */
export interface Pms5003ParserStats {
  /** Data frames with a valid length and checksum (each was emitted). */
  framesOk: number;
  /** Frames (data or command reply) whose checksum did not match: line noise, a lost byte. */
  checksumErrors: number;
  /** Starts `42 4D` followed by a length that is neither 28 nor 4: noise that looked like a start, or another model. */
  lengthErrors: number;
  /** Bytes discarded: noise between frames and the rest of every rejected frame. */
  garbageBytes: number;
  /** Valid 8-byte answers to mode/sleep commands (`42 4D 00 04 …`): expected, not errors. */
  commandReplies: number;
}

const START_1 = 0x42;
const START_2 = 0x4d;
const HEADER_BYTES = 4;
const DATA_LENGTH = 28;
const REPLY_LENGTH = 4;

/**
 * Streaming parser: push() the bytes as they come, in chunks of any size, and get the complete valid frames.
 * Resynchronises on `42 4D` after garbage; never emits a frame with a wrong length or checksum; never throws on
 * input; holds at most one partial frame (31 bytes) between pushes.
 */
export class Pms5003Parser {
  private pending: Buffer = Buffer.alloc(0);
  private readonly counters: Pms5003ParserStats = {
    framesOk: 0,
    checksumErrors: 0,
    lengthErrors: 0,
    garbageBytes: 0,
    commandReplies: 0,
  };

  stats(): Pms5003ParserStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): Pms5003Frame[] {
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Pms5003Frame[] = [];
    let i = 0;
    for (;;) {
      const start = findStart(buf, i);
      this.counters.garbageBytes += start - i;
      i = start;
      if (buf.length - i < HEADER_BYTES) break;
      const length = buf.readUInt16BE(i + 2);
      if (length !== DATA_LENGTH && length !== REPLY_LENGTH) {
        this.reject('lengthErrors');
        i += 2;
        continue;
      }
      const total = HEADER_BYTES + length;
      if (buf.length - i < total) break;
      const candidate = buf.subarray(i, i + total);
      if (!checksumValid(candidate)) {
        // Skip only the start: a frame cut short by a lost byte hides the start of the next one.
        this.reject('checksumErrors');
        i += 2;
        continue;
      }
      if (length === DATA_LENGTH) {
        frames.push(decode(candidate));
        this.counters.framesOk += 1;
      } else {
        this.counters.commandReplies += 1;
      }
      i += total;
    }
    this.pending = Buffer.from(buf.subarray(i));
    return frames;
  }

  /** Counts a rejected candidate and its start bytes; the caller skips those two bytes. */
  private reject(counter: 'lengthErrors' | 'checksumErrors'): void {
    this.counters[counter] += 1;
    this.counters.garbageBytes += 2;
  }
}

/**
 * Index of the next `42 4D` at or after `from`; a lone trailing 0x42 counts as a possible start (its pair may be in
 * the next chunk); buf.length when there is none.
 */
function findStart(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i += 1) {
    if (buf[i] !== START_1) continue;
    if (i + 1 === buf.length || buf[i + 1] === START_2) return i;
  }
  return buf.length;
}

function checksumValid(frame: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < frame.length - 2; i += 1) sum += frame[i] ?? 0;
  return (sum & 0xffff) === frame.readUInt16BE(frame.length - 2);
}

function decode(frame: Buffer): Pms5003Frame {
  const word = (n: number): number => frame.readUInt16BE(HEADER_BYTES + 2 * n);
  return {
    pm1_cf1: word(0),
    pm25_cf1: word(1),
    pm10_cf1: word(2),
    pm1: word(3),
    pm25: word(4),
    pm10: word(5),
    counts: [word(6), word(7), word(8), word(9), word(10), word(11)],
    version: frame.readUInt8(28),
    error: frame.readUInt8(29),
  };
}
