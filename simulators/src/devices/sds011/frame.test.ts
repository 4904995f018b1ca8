import { describe, expect, it } from 'vitest';
import {
  encodeSds011HostCommand,
  encodeSds011Measurement,
  encodeSds011Reply,
  Sds011CommandReader,
  SDS011_COMMAND,
} from './frame.js';
import { hanoiDustProfile } from './profile.js';

const hex = (s: string): string => s.replace(/\s+/g, '');

describe('encodeSds011Measurement', () => {
  it('reproduces both captured frames of vectors.json byte for byte', () => {
    expect(encodeSds011Measurement(14.0, 14.8, 0xbcf9).toString('hex')).toBe('aac08c009400bcf9d5ab');
    expect(encodeSds011Measurement(0.9, 0.9, 0x58d9).toString('hex')).toBe('aac00900090058d943ab');
  });

  it('reproduces the protocol sheet’s example: low byte first, checksum modulo 256', () => {
    // "PM2.5 data is 04D4 … 123.6 µg/m³, PM10 data is 0A3A … 261.8 µg/m³", sensor id A160.
    expect(encodeSds011Measurement(123.6, 261.8, 0xa160).toString('hex')).toBe(hex('aa c0 d4 04 3a 0a a1 60 1d ab'));
  });

  it('rounds to 0.1 µg/m³ and clamps to the sensor range 0 … 999.9', () => {
    expect(encodeSds011Measurement(14.04, 14.76, 0xbcf9).toString('hex')).toBe('aac08c009400bcf9d5ab');
    const top = encodeSds011Measurement(5000, -3, 0);
    expect([top.readUInt16LE(2), top.readUInt16LE(4)]).toEqual([9999, 0]);
  });

  it('refuses an id that does not fit two bytes', () => {
    expect(() => encodeSds011Measurement(1, 1, 0x10000)).toThrow(RangeError);
  });
});

describe('replies and host commands', () => {
  it('encodes the replies of the protocol sheet V1.3 (sensor A160)', () => {
    const r = (c: number, a: number, b: number, d: number): string => encodeSds011Reply(c, a, b, d, 0xa160).toString('hex');
    expect(r(SDS011_COMMAND.reportingMode, 0, 0, 0)).toBe(hex('aa c5 02 00 00 00 a1 60 03 ab')); // is in active mode
    expect(r(SDS011_COMMAND.reportingMode, 0, 1, 0)).toBe(hex('aa c5 02 00 01 00 a1 60 04 ab')); // is in query mode
    expect(r(SDS011_COMMAND.reportingMode, 1, 1, 0)).toBe(hex('aa c5 02 01 01 00 a1 60 05 ab')); // set to query mode
    expect(r(SDS011_COMMAND.sleepWork, 1, 0, 0)).toBe(hex('aa c5 06 01 00 00 a1 60 08 ab')); // set to sleep
    expect(r(SDS011_COMMAND.sleepWork, 1, 1, 0)).toBe(hex('aa c5 06 01 01 00 a1 60 09 ab')); // set to work
    expect(r(SDS011_COMMAND.workingPeriod, 1, 1, 0)).toBe(hex('aa c5 08 01 01 00 a1 60 0b ab')); // period 1 min
    expect(r(SDS011_COMMAND.workingPeriod, 0, 2, 0)).toBe(hex('aa c5 08 00 02 00 a1 60 0b ab')); // is 2 min
    expect(r(SDS011_COMMAND.firmware, 15, 7, 10)).toBe(hex('aa c5 07 0f 07 0a a1 60 28 ab')); // 2015-07-10
  });

  it('encodes the host commands of SENSOR-PROTOCOLS.md and of the protocol sheet', () => {
    expect(encodeSds011HostCommand(SDS011_COMMAND.queryData).toString('hex')).toBe(
      hex('aa b4 04 00 00 00 00 00 00 00 00 00 00 00 00 ff ff 02 ab'),
    );
    expect(encodeSds011HostCommand(SDS011_COMMAND.reportingMode, [1, 1], 0xa160).toString('hex')).toBe(
      hex('aa b4 02 01 01 00 00 00 00 00 00 00 00 00 00 a1 60 05 ab'),
    );
    expect(encodeSds011HostCommand(SDS011_COMMAND.setDeviceId, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa0, 0x01], 0xa160).toString('hex')).toBe(
      hex('aa b4 05 00 00 00 00 00 00 00 00 00 00 a0 01 a1 60 a7 ab'),
    );
  });

  it('reads commands split across chunks and skips noise, bad checksums and bad tails', () => {
    const query = encodeSds011HostCommand(SDS011_COMMAND.queryData);
    const badSum = Buffer.from(query);
    badSum[17] = 0x03;
    const badTail = Buffer.from(encodeSds011HostCommand(SDS011_COMMAND.sleepWork, [1, 0]));
    badTail[18] = 0xaa;
    const work = encodeSds011HostCommand(SDS011_COMMAND.sleepWork, [1, 1], 0xa160);
    const stream = Buffer.concat([Buffer.from('ffaab4', 'hex'), badSum, query, badTail, Buffer.from('00', 'hex'), work]);
    const reader = new Sds011CommandReader();
    const got = [...stream].flatMap((b) => reader.push(Buffer.from([b])));
    expect(got).toEqual([
      { command: 4, args: Array<number>(12).fill(0), target: 0xffff },
      { command: 6, args: [1, 1, ...Array<number>(10).fill(0)], target: 0xa160 },
    ]);
    expect(reader.rejectedBytes).toBe(3 + 19 + 19 + 1);
  });
});

describe('hanoiDustProfile', () => {
  it('has 0.1 µg/m³ resolution, PM10 between 1.3 and 1.8 × PM2.5, and repeats itself for a seed', () => {
    const a = hanoiDustProfile({ seed: 3 });
    const b = hanoiDustProfile({ seed: 3 });
    const samples = Array.from({ length: 500 }, (_, i) => a(new Date(Date.UTC(2025, 0, 1, i % 24))));
    expect(samples).toEqual(Array.from({ length: 500 }, (_, i) => b(new Date(Date.UTC(2025, 0, 1, i % 24)))));
    for (const s of samples) {
      expect(Math.round(s.pm25 * 10) / 10).toBe(s.pm25);
      expect(s.pm10 / s.pm25).toBeGreaterThanOrEqual(1.3 - 0.01);
      expect(s.pm10 / s.pm25).toBeLessThanOrEqual(1.8 + 0.01);
    }
    expect(new Set(samples.map((s) => Math.round((s.pm25 % 1) * 10))).size).toBeGreaterThan(5); // tenths vary
    const mean = samples.reduce((sum, s) => sum + s.pm25, 0) / samples.length;
    expect(mean).toBeGreaterThan(40); // January in Hà Nội: well above the annual mean of ≈ 40
    expect(mean).toBeLessThan(120);
  });
});
