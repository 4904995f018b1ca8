// Host → SDS011 commands, 19 bytes: `AA B4` + 15 data bytes + CS + `AB`. Data byte 1 is the command, 2..13 its
// arguments (0 when unused), 14..15 the target device id (`FF FF` = any); CS = low byte of the sum of the 15 data
// bytes. Source: Nova "Laser Dust Sensor Control Protocol V1.3"; SENSOR-PROTOCOLS.md.

/** Command numbers (data byte 1). */
export const SDS011_COMMAND = {
  /** Args: 0 query / 1 set; 0 active (reporting) / 1 query mode. Answered by `AA C5 02 …`. */
  reportingMode: 0x02,
  /** No args. Answered by a measurement frame `AA C0 …`. */
  queryData: 0x04,
  /** Args: 0 query / 1 set; 0 sleep / 1 work. Answered by `AA C5 06 …`. */
  sleepWork: 0x06,
  /** Args: 0 query / 1 set; 0 continuous / n = work 30 s every n minutes (1–30). Answered by `AA C5 08 …`. */
  workingPeriod: 0x08,
} as const;

const ANY_DEVICE = 0xffff;
const SET = 1;

/** Encodes one 19-byte host command to `deviceId` (default any). `args` are data bytes 2.. (at most 12). */
export function encodeSds011Command(command: number, args: readonly number[] = [], deviceId = ANY_DEVICE): Buffer {
  const bytes = Buffer.alloc(19);
  bytes[0] = 0xaa;
  bytes[1] = 0xb4;
  bytes[2] = command;
  args.slice(0, 12).forEach((arg, i) => (bytes[3 + i] = arg));
  bytes.writeUInt16BE(deviceId, 15);
  let sum = 0;
  for (let i = 2; i < 17; i += 1) sum += bytes[i] ?? 0;
  bytes[17] = sum & 0xff;
  bytes[18] = 0xab;
  return bytes;
}

/** The commands the driver sends, addressed to any device. */
export const SDS011_HOST_COMMANDS = {
  /** `AA B4 04 00 … FF FF 02 AB`: send one measurement now (query mode). */
  query: encodeSds011Command(SDS011_COMMAND.queryData),
  /** Reporting (active) mode: a measurement every second, unasked. */
  activeMode: encodeSds011Command(SDS011_COMMAND.reportingMode, [SET, 0]),
  /** Query mode: measurements only when asked. */
  queryMode: encodeSds011Command(SDS011_COMMAND.reportingMode, [SET, 1]),
  /** Wake: fan and laser on. */
  work: encodeSds011Command(SDS011_COMMAND.sleepWork, [SET, 1]),
  sleep: encodeSds011Command(SDS011_COMMAND.sleepWork, [SET, 0]),
} as const;

/** Sets the working period: 0 = continuous, 1–30 = work 30 s, then sleep, every `minutes`. */
export function workingPeriodCommand(minutes: number): Buffer {
  return encodeSds011Command(SDS011_COMMAND.workingPeriod, [SET, minutes]);
}
