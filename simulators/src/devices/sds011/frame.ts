// Nova Fitness SDS011 wire format, written from ../shared/domain/SENSOR-PROTOCOLS.md and Nova's "Laser Dust Sensor
// Control Protocol V1.3", on purpose apart from the edge driver's parser: the simulator is the second, independent
// reading of the sheet.
//
// Sensor → host, 10 bytes: AA, C0 (measurement) or C5 (command reply), six data bytes, checksum = low byte of the
// sum of the six data bytes, AB.
// Host → sensor, 19 bytes: AA, B4, fifteen data bytes (1: command, 2–13: arguments, 14–15: target device id,
// FF FF = every device), checksum = low byte of the sum of the fifteen, AB.

export const SDS011_HEAD = 0xaa;
export const SDS011_TAIL = 0xab;
/** Byte 1 of a sensor frame: a measurement. */
export const SDS011_MEASUREMENT = 0xc0;
/** Byte 1 of a sensor frame: a reply to a host command. */
export const SDS011_REPLY = 0xc5;
/** Byte 1 of every host command. */
export const SDS011_HOST_COMMAND = 0xb4;
/** Target id meaning "every sensor on the line". */
export const SDS011_ANY_DEVICE = 0xffff;
/** Largest concentration the sensor reports, µg/m³. */
export const SDS011_MAX_UGM3 = 999.9;

/** Host command numbers (data byte 1 of a host command, echoed as data byte 1 of the reply). */
export const SDS011_COMMAND = {
  /** Args: 0 query / 1 set, then 0 active (reporting) / 1 query mode. */
  reportingMode: 0x02,
  /** Send one measurement now. */
  queryData: 0x04,
  /** Args: bytes 12–13 hold the new id. Replied to from the new id. */
  setDeviceId: 0x05,
  /** Args: 0 query / 1 set, then 0 sleep / 1 work. */
  sleepWork: 0x06,
  /** No args; the reply carries the firmware date year, month, day. */
  firmware: 0x07,
  /** Args: 0 query / 1 set, then 0 continuous / 1–30 minutes. */
  workingPeriod: 0x08,
} as const;

/** One host command as the sensor's firmware sees it. */
export interface Sds011HostCommand {
  /** Data byte 1. */
  command: number;
  /** Data bytes 2–13 (12 bytes). */
  args: readonly number[];
  /** Data bytes 14–15, big-endian: the addressed sensor, or SDS011_ANY_DEVICE. */
  target: number;
}

/** A 10-byte sensor frame with the given command byte, six data bytes and a correct checksum and tail. */
export function encodeSds011Frame(command: number, data: readonly number[]): Buffer {
  if (data.length !== 6) throw new RangeError('an SDS011 frame carries exactly 6 data bytes');
  const frame = Buffer.from([SDS011_HEAD, command, ...data.map((b) => checkByte(b)), 0, SDS011_TAIL]);
  frame[8] = sum8(frame.subarray(2, 8));
  return frame;
}

/**
 * A measurement frame: PM2.5 and PM10 in µg/m³ (rounded to 0.1, clamped to 0 … 999.9), each sent as a little-endian
 * count of 0.1 µg/m³ units, then the device id (high byte first).
 */
export function encodeSds011Measurement(pm25: number, pm10: number, deviceId: number): Buffer {
  const tenths = (ugm3: number): number => Math.round(Math.min(SDS011_MAX_UGM3, Math.max(0, ugm3)) * 10);
  const a = tenths(pm25);
  const b = tenths(pm10);
  return encodeSds011Frame(SDS011_MEASUREMENT, [a & 0xff, a >> 8, b & 0xff, b >> 8, ...idBytes(deviceId)]);
}

/** A reply `AA C5 CMD D2 D3 D4 ID1 ID2 CS AB`. */
export function encodeSds011Reply(command: number, d2: number, d3: number, d4: number, deviceId: number): Buffer {
  return encodeSds011Frame(SDS011_REPLY, [command, d2, d3, d4, ...idBytes(deviceId)]);
}

/** A 19-byte host command, as a gateway sends it (for tests and for driving a simulator by hand). */
export function encodeSds011HostCommand(command: number, args: readonly number[] = [], target = SDS011_ANY_DEVICE): Buffer {
  if (args.length > 12) throw new RangeError('an SDS011 host command has at most 12 argument bytes');
  const data = [command, ...args.map((b) => checkByte(b)), ...Array<number>(12 - args.length).fill(0), ...idBytes(target)];
  return Buffer.from([SDS011_HEAD, SDS011_HOST_COMMAND, ...data, sum8(Uint8Array.from(data)), SDS011_TAIL]);
}

/**
 * Incremental reader of the 19-byte host commands a simulated sensor receives. A byte that does not start a command
 * with a valid checksum and tail is skipped, as the sensor's firmware would.
 */
export class Sds011CommandReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes skipped because they did not form a valid command. */
  rejectedBytes = 0;

  push(chunk: Buffer): Sds011HostCommand[] {
    const buf = Buffer.concat([this.pending, chunk]);
    const commands: Sds011HostCommand[] = [];
    let i = 0;
    while (buf.length - i >= 19) {
      const candidate = buf.subarray(i, i + 19);
      if (isHostCommand(candidate)) {
        commands.push({ command: candidate[2] ?? 0, args: [...candidate.subarray(3, 15)], target: candidate.readUInt16BE(15) });
        i += 19;
      } else {
        this.rejectedBytes += 1;
        i += 1;
      }
    }
    this.pending = Buffer.from(buf.subarray(i));
    return commands;
  }
}

function isHostCommand(bytes: Buffer): boolean {
  return (
    bytes[0] === SDS011_HEAD &&
    bytes[1] === SDS011_HOST_COMMAND &&
    bytes[18] === SDS011_TAIL &&
    sum8(bytes.subarray(2, 17)) === bytes[17]
  );
}

function idBytes(deviceId: number): [number, number] {
  if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId > 0xffff) {
    throw new RangeError(`SDS011 device id must be an integer in 0..0xffff, got ${deviceId}`);
  }
  return [deviceId >> 8, deviceId & 0xff];
}

function sum8(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum % 256;
}

function checkByte(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`not a byte: ${value}`);
  return value;
}
