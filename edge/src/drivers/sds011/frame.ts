// Nova Fitness SDS011 frames from the sensor, per ../shared/domain/SENSOR-PROTOCOLS.md and the Nova "Laser Dust
// Sensor Control Protocol V1.3": 10 bytes `AA CMD D1 D2 D3 D4 D5 D6 CS AB`, CS = low byte of D1 + … + D6.
// CMD C0 is a measurement (D1..D4 = PM2.5 L/H, PM10 L/H in 0.1 µg/m³; D5 D6 = device id), CMD C5 a command reply.

/** One measurement frame (`AA C0`). */
export interface Sds011Measurement {
  readonly kind: 'measurement';
  /** PM2.5 and PM10 mass concentration, µg/m³, resolution 0.1. */
  readonly pm25: number;
  readonly pm10: number;
  /** The sensor's 16-bit id, bytes D5 D6 (`A1 60` → 0xa160). */
  readonly deviceId: number;
}

/** One reply to a host command (`AA C5`): which command (D1) and its three data bytes D2 D3 D4. */
export interface Sds011Reply {
  readonly kind: 'reply';
  /** The command it answers: 2 reporting mode, 5 device id, 6 sleep/work, 7 firmware, 8 working period. */
  readonly command: number;
  readonly data: readonly [number, number, number];
  readonly deviceId: number;
}

export type Sds011Message = Sds011Measurement | Sds011Reply;

/** What the parser has seen so far. Counters only grow. */
export interface Sds011ParserStats {
  /** Measurement frames with a valid tail and checksum (each was emitted). */
  framesOk: number;
  /** Valid `AA C5` replies to host commands: expected after every command, not errors. */
  commandReplies: number;
  /** Frames whose tail byte was right but whose checksum was not: a data byte hit by noise. */
  checksumErrors: number;
  /** Frames whose 10th byte was not `AB`: a byte lost or inserted, or noise that looked like a start. */
  tailErrors: number;
  /** Bytes discarded: noise between frames and the start bytes of every rejected frame. */
  garbageBytes: number;
}

export const SDS011_FRAME_BYTES = 10;
const HEAD = 0xaa;
const TAIL = 0xab;
const CMD_MEASUREMENT = 0xc0;
const CMD_REPLY = 0xc5;

/**
 * Streaming parser: push() bytes in chunks of any size, get the valid frames. Resynchronises on `AA C0` / `AA C5`
 * after garbage; never emits a frame whose tail or checksum is wrong; never throws on input; holds at most one
 * partial frame (9 bytes) between pushes.
 */
export class Sds011Parser {
  private pending: Buffer = Buffer.alloc(0);
  private readonly counters: Sds011ParserStats = {
    framesOk: 0,
    commandReplies: 0,
    checksumErrors: 0,
    tailErrors: 0,
    garbageBytes: 0,
  };

  stats(): Sds011ParserStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): Sds011Message[] {
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const messages: Sds011Message[] = [];
    let i = 0;
    for (;;) {
      const start = findStart(buf, i);
      this.counters.garbageBytes += start - i;
      i = start;
      if (buf.length - i < SDS011_FRAME_BYTES) break;
      const frame = buf.subarray(i, i + SDS011_FRAME_BYTES);
      const error = frameError(frame);
      if (error) {
        // Skip only the two start bytes: a frame cut short by a lost byte hides the start of the next one.
        this.counters[error] += 1;
        this.counters.garbageBytes += 2;
        i += 2;
        continue;
      }
      const message = decode(frame);
      this.counters[message.kind === 'measurement' ? 'framesOk' : 'commandReplies'] += 1;
      messages.push(message);
      i += SDS011_FRAME_BYTES;
    }
    this.pending = Buffer.from(buf.subarray(i));
    return messages;
  }
}

/**
 * Index of the next `AA C0` or `AA C5` at or after `from`; a lone trailing `AA` counts as a possible start (its
 * command byte may be in the next chunk); buf.length when there is none.
 */
function findStart(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i += 1) {
    if (buf[i] !== HEAD) continue;
    const next = buf[i + 1];
    if (next === undefined || next === CMD_MEASUREMENT || next === CMD_REPLY) return i;
  }
  return buf.length;
}

/** Why a 10-byte candidate is not a frame, or undefined when it is one. The tail is checked first (framing). */
function frameError(frame: Buffer): 'tailErrors' | 'checksumErrors' | undefined {
  if (frame[9] !== TAIL) return 'tailErrors';
  let sum = 0;
  for (let i = 2; i < 8; i += 1) sum += frame[i] ?? 0;
  return (sum & 0xff) === frame[8] ? undefined : 'checksumErrors';
}

function decode(frame: Buffer): Sds011Message {
  const deviceId = frame.readUInt16BE(6);
  if (frame[1] === CMD_MEASUREMENT) {
    // Little-endian words in tenths of µg/m³: PM = (H·256 + L) / 10.
    return { kind: 'measurement', pm25: frame.readUInt16LE(2) / 10, pm10: frame.readUInt16LE(4) / 10, deviceId };
  }
  return { kind: 'reply', command: frame.readUInt8(2), data: [frame.readUInt8(3), frame.readUInt8(4), frame.readUInt8(5)], deviceId };
}
