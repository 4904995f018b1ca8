// Plantower PMS5003 wire format, written from ../shared/domain/SENSOR-PROTOCOLS.md on purpose apart from the
// edge driver's parser: the simulator is the second, independent reading of the datasheet.

/** Everything a PMS5003 data frame carries. Concentrations µg/m³, counts per 0.1 L of air; all uint16. */
export interface Pms5003FrameValues {
  /** PM1.0, PM2.5, PM10 with CF=1 ("standard particle") calibration. */
  pm1_cf1: number;
  pm25_cf1: number;
  pm10_cf1: number;
  /** PM1.0, PM2.5, PM10 under atmospheric environment: the values the edge reports. */
  pm1: number;
  pm25: number;
  pm10: number;
  /** Particles per 0.1 L larger than 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm. */
  counts: readonly [number, number, number, number, number, number];
  /** Firmware version byte (uint8). */
  version: number;
  /** Error code byte (uint8); 0 = none. */
  error: number;
}

export const PMS5003_FRAME_BYTES = 32;
/** Bytes 2–3 of a data frame: the 13 data words plus the checksum word. */
const DATA_FRAME_LENGTH = 28;
/** Bytes 2–3 of the 8-byte answer to a mode or sleep command. */
const REPLY_FRAME_LENGTH = 4;
const START = [0x42, 0x4d] as const;

/** Command bytes (third byte of a 7-byte host command). */
export const PMS5003_COMMAND = {
  /** Data 0 = passive, 1 = active. */
  mode: 0xe1,
  /** Passive mode: send one data frame now. */
  read: 0xe2,
  /** Data 0 = sleep, 1 = wake. */
  sleep: 0xe4,
} as const;

/** Encodes one 32-byte data frame: `42 4D 00 1C`, 13 big-endian words, 16-bit sum of bytes 0–29. */
export function encodePms5003Frame(values: Pms5003FrameValues): Buffer {
  const words = [
    values.pm1_cf1,
    values.pm25_cf1,
    values.pm10_cf1,
    values.pm1,
    values.pm25,
    values.pm10,
    ...values.counts,
  ];
  const frame = Buffer.alloc(PMS5003_FRAME_BYTES);
  frame.set(START, 0);
  frame.writeUInt16BE(DATA_FRAME_LENGTH, 2);
  words.forEach((word, i) => frame.writeUInt16BE(checkUint(word, 0xffff, `word ${i}`), 4 + 2 * i));
  frame.writeUInt8(checkUint(values.version, 0xff, 'version'), 28);
  frame.writeUInt8(checkUint(values.error, 0xff, 'error'), 29);
  frame.writeUInt16BE(sum16(frame.subarray(0, 30)), 30);
  return frame;
}

/** Encodes a 7-byte host command `42 4D CMD 00 DATA` + 16-bit sum, as the edge sends it. */
export function encodePms5003Command(command: number, data: number): Buffer {
  const bytes = Buffer.from([...START, command, 0, data, 0, 0]);
  bytes.writeUInt16BE(sum16(bytes.subarray(0, 5)), 5);
  return bytes;
}

/** Encodes the sensor's 8-byte answer to a mode or sleep command: `42 4D 00 04 CMD DATA` + 16-bit sum. */
export function encodePms5003Reply(command: number, data: number): Buffer {
  const bytes = Buffer.from([...START, 0, REPLY_FRAME_LENGTH, command, data, 0, 0]);
  bytes.writeUInt16BE(sum16(bytes.subarray(0, 6)), 6);
  return bytes;
}

export interface Pms5003Command {
  command: number;
  data: number;
}

/**
 * Incremental reader of the 7-byte host commands the simulated sensor receives. Bytes that do not start a command
 * with a valid checksum are skipped one at a time, as the sensor's firmware would.
 */
export class Pms5003CommandReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes skipped because they did not form a valid command. */
  rejectedBytes = 0;

  push(chunk: Buffer): Pms5003Command[] {
    const buf = Buffer.concat([this.pending, chunk]);
    const commands: Pms5003Command[] = [];
    let i = 0;
    while (buf.length - i >= 7) {
      const candidate = buf.subarray(i, i + 7);
      if (candidate[0] === START[0] && candidate[1] === START[1] && isValidCommand(candidate)) {
        commands.push({ command: candidate.readUInt8(2), data: candidate.readUInt8(4) });
        i += 7;
      } else {
        this.rejectedBytes += 1;
        i += 1;
      }
    }
    this.pending = Buffer.from(buf.subarray(i));
    return commands;
  }
}

function isValidCommand(bytes: Buffer): boolean {
  return sum16(bytes.subarray(0, 5)) === bytes.readUInt16BE(5);
}

function sum16(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum & 0xffff;
}

function checkUint(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`PMS5003 ${name} must be an integer in 0..${max}, got ${value}`);
  }
  return value;
}
