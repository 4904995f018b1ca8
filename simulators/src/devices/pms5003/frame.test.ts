import { describe, expect, it } from 'vitest';
import {
  encodePms5003Command,
  encodePms5003Frame,
  encodePms5003Reply,
  Pms5003CommandReader,
  PMS5003_COMMAND,
} from './frame.js';

// pms5003_frames[0] of ../shared/domain/vectors.json, "captured from a real sensor".
const CAPTURED_HEX = '424d001c00000008000800000008000800d20046002d001e00000000970002c5';

describe('encodePms5003Frame', () => {
  it('reproduces the captured frame of vectors.json byte for byte', () => {
    const frame = encodePms5003Frame({
      pm1_cf1: 0,
      pm25_cf1: 8,
      pm10_cf1: 8,
      pm1: 0,
      pm25: 8,
      pm10: 8,
      counts: [210, 70, 45, 30, 0, 0],
      version: 0x97,
      error: 0,
    });
    expect(frame.toString('hex')).toBe(CAPTURED_HEX);
  });

  it('writes big-endian words and a two-byte checksum', () => {
    const frame = encodePms5003Frame({
      pm1_cf1: 0xffff,
      pm25_cf1: 0xffff,
      pm10_cf1: 0xffff,
      pm1: 0x1234,
      pm25: 0xffff,
      pm10: 0xffff,
      counts: [0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff],
      version: 0xff,
      error: 0xff,
    });
    expect(frame).toHaveLength(32);
    expect(frame.subarray(10, 12).toString('hex')).toBe('1234');
    // 0x42+0x4d+0x1c + 0x12+0x34 + 26 × 0xff = 6361 = 0x18d9: the high byte matters.
    expect(frame.subarray(30).toString('hex')).toBe('18d9');
  });

  it('refuses values a uint16 word cannot carry', () => {
    const base = { pm1_cf1: 0, pm25_cf1: 0, pm10_cf1: 0, pm1: 0, pm25: 0, pm10: 0, version: 0, error: 0 };
    const counts = [0, 0, 0, 0, 0, 0] as const;
    expect(() => encodePms5003Frame({ ...base, pm25: 65536, counts })).toThrow(RangeError);
    expect(() => encodePms5003Frame({ ...base, pm25: 1.5, counts })).toThrow(RangeError);
    expect(() => encodePms5003Frame({ ...base, version: 256, counts })).toThrow(RangeError);
  });
});

describe('commands and replies', () => {
  it('encodes the five host commands of the protocol sheet', () => {
    const hex = (cmd: number, data: number): string => encodePms5003Command(cmd, data).toString('hex');
    expect(hex(PMS5003_COMMAND.mode, 0)).toBe('424de100000170');
    expect(hex(PMS5003_COMMAND.mode, 1)).toBe('424de100010171');
    expect(hex(PMS5003_COMMAND.read, 0)).toBe('424de200000171');
    expect(hex(PMS5003_COMMAND.sleep, 0)).toBe('424de400000173');
    expect(hex(PMS5003_COMMAND.sleep, 1)).toBe('424de400010174');
  });

  it('encodes the 8-byte answers to mode and sleep commands', () => {
    expect(encodePms5003Reply(PMS5003_COMMAND.mode, 0).toString('hex')).toBe('424d0004e1000174');
    expect(encodePms5003Reply(PMS5003_COMMAND.mode, 1).toString('hex')).toBe('424d0004e1010175');
    expect(encodePms5003Reply(PMS5003_COMMAND.sleep, 0).toString('hex')).toBe('424d0004e4000177');
  });

  it('reads commands split across chunks and skips noise and bad checksums', () => {
    const reader = new Pms5003CommandReader();
    const stream = Buffer.from('ff424d' + '424de200000172' + '424de100000170' + '00' + '424de200000171', 'hex');
    const got = [...stream].flatMap((b) => reader.push(Buffer.from([b])));
    expect(got).toEqual([
      { command: 0xe1, data: 0 },
      { command: 0xe2, data: 0 },
    ]);
    expect(reader.rejectedBytes).toBe(3 + 7 + 1);
  });
});
