import { describe, expect, it } from 'vitest';
import { encodeSds011Command, SDS011_COMMAND, SDS011_HOST_COMMANDS, workingPeriodCommand } from './commands.js';
import { Sds011Parser, type Sds011Message } from './frame.js';

// sds011_frames of ../shared/domain/vectors.json, both captured from real sensors.
const CAPTURED_1 = Buffer.from('aac08c009400bcf9d5ab', 'hex');
const CAPTURED_2 = Buffer.from('aac00900090058d943ab', 'hex');
const M1: Sds011Message = { kind: 'measurement', pm25: 14.0, pm10: 14.8, deviceId: 0xbcf9 };
const M2: Sds011Message = { kind: 'measurement', pm25: 0.9, pm10: 0.9, deviceId: 0x58d9 };
// The worked example of the Nova protocol sheet V1.3: PM2.5 0x04D4 = 123.6, PM10 0x0A3A = 261.8, id A160.
const DATASHEET = Buffer.from('aac0d4043a0aa1601dab', 'hex');

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function pushBytewise(parser: Sds011Parser, bytes: Buffer): Sds011Message[] {
  return [...bytes].flatMap((b) => parser.push(Uint8Array.of(b)));
}

describe('Sds011Parser', () => {
  it('decodes both captured frames of vectors.json exactly', () => {
    const parser = new Sds011Parser();
    expect(parser.push(Buffer.concat([CAPTURED_1, CAPTURED_2]))).toEqual([M1, M2]);
    expect(parser.stats()).toEqual({ framesOk: 2, commandReplies: 0, checksumErrors: 0, tailErrors: 0, garbageBytes: 0 });
  });

  it('reads the little-endian words of the protocol sheet’s example (values above 25.5)', () => {
    expect(new Sds011Parser().push(DATASHEET)).toEqual([{ kind: 'measurement', pm25: 123.6, pm10: 261.8, deviceId: 0xa160 }]);
  });

  it('resynchronises after garbage, counting every dropped byte', () => {
    const parser = new Sds011Parser();
    const stream = Buffer.concat([hex('00 ff aa 13 aa'), CAPTURED_1, hex('ab ab c0'), CAPTURED_2, hex('aa')]);
    expect(parser.push(stream)).toEqual([M1, M2]);
    // The trailing AA may start a frame: it is held, not counted yet.
    expect(parser.stats()).toMatchObject({ framesOk: 2, garbageBytes: 5 + 3 });
  });

  it('assembles frames fed one byte at a time, and split at every possible point', () => {
    expect(pushBytewise(new Sds011Parser(), Buffer.concat([CAPTURED_1, CAPTURED_2]))).toEqual([M1, M2]);
    for (let cut = 1; cut < 10; cut += 1) {
      const p = new Sds011Parser();
      expect([...p.push(CAPTURED_1.subarray(0, cut)), ...p.push(CAPTURED_1.subarray(cut))]).toEqual([M1]);
    }
  });

  it('counts a bad checksum and never emits the frame', () => {
    const parser = new Sds011Parser();
    const bad = Buffer.from(CAPTURED_1);
    bad[8] = 0xd6;
    expect(parser.push(Buffer.concat([bad, CAPTURED_2]))).toEqual([M2]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, checksumErrors: 1, tailErrors: 0, garbageBytes: 10 });
  });

  it('counts a data byte hit by noise as a checksum error', () => {
    const parser = new Sds011Parser();
    const hit = Buffer.from(CAPTURED_1);
    hit[3] = 0x01; // PM2.5 high byte: 14.0 would become 39.6
    expect(parser.push(hit)).toEqual([]);
    expect(parser.stats()).toMatchObject({ checksumErrors: 1 });
  });

  it('counts a bad tail and never emits the frame, even with a valid checksum', () => {
    const parser = new Sds011Parser();
    const bad = Buffer.from(CAPTURED_1);
    bad[9] = 0xac;
    expect(parser.push(Buffer.concat([bad, CAPTURED_2]))).toEqual([M2]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, tailErrors: 1, checksumErrors: 0, garbageBytes: 10 });
  });

  it('recovers the next frame when a byte was lost from the previous one', () => {
    const parser = new Sds011Parser();
    const shortened = Buffer.concat([CAPTURED_1.subarray(0, 4), CAPTURED_1.subarray(5)]); // 9 bytes
    expect(parser.push(Buffer.concat([shortened, CAPTURED_2]))).toEqual([M2]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, tailErrors: 1, garbageBytes: 9 });
  });

  it('takes `AA C5` command replies as replies, not errors', () => {
    const parser = new Sds011Parser();
    const replies = hex('aac5020101 00a16005ab  aac5060100 00a16008ab  aac5070f07 0aa16028ab');
    const messages = pushBytewise(parser, Buffer.concat([replies.subarray(0, 10), CAPTURED_1, replies.subarray(10)]));
    expect(messages).toEqual([
      { kind: 'reply', command: 2, data: [1, 1, 0], deviceId: 0xa160 },
      M1,
      { kind: 'reply', command: 6, data: [1, 0, 0], deviceId: 0xa160 },
      { kind: 'reply', command: 7, data: [15, 7, 10], deviceId: 0xa160 },
    ]);
    expect(parser.stats()).toEqual({ framesOk: 1, commandReplies: 3, checksumErrors: 0, tailErrors: 0, garbageBytes: 0 });
  });

  it('treats its own 19-byte commands echoed back (e.g. TX wired to RX) as garbage', () => {
    const parser = new Sds011Parser();
    expect(parser.push(Buffer.concat([SDS011_HOST_COMMANDS.query, CAPTURED_1]))).toEqual([M1]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, garbageBytes: 19 });
  });

  it('survives random garbage (fixed seed): never throws, loses no frame, invents none, accounts for every byte', () => {
    const random = mulberry32(20_251_127);
    const parser = new Sds011Parser();
    const frames = [CAPTURED_1, CAPTURED_2];
    let sent = 0;
    let received = 0;
    let totalBytes = 0;
    for (let round = 0; round < 3000; round += 1) {
      const garbage = Buffer.from(Array.from({ length: Math.floor(random() * 30) }, () => Math.floor(random() * 256)));
      // Some garbage is made to look like starts, to exercise the resync paths.
      if (garbage.length >= 2 && random() < 0.3) garbage.set([0xaa, random() < 0.5 ? 0xc0 : 0xc5], garbage.length - 2);
      const frame = frames[round % 2] ?? CAPTURED_1;
      // ... and some are preceded by a frame cut short (a reset) or with one data byte hit by noise.
      let damaged = Buffer.alloc(0);
      const r = random();
      // (cut before its checksum, so that random garbage cannot complete it by chance)
      if (r < 0.15) damaged = frame.subarray(0, 2 + Math.floor(random() * 6));
      else if (r < 0.3) {
        damaged = Buffer.from(frame);
        const at = 2 + Math.floor(random() * 6);
        damaged[at] = (damaged[at] ?? 0) ^ (1 + Math.floor(random() * 255));
      }
      const stream = Buffer.concat([damaged, garbage, frame]);
      totalBytes += stream.length;
      sent += 1;
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(random() * 16);
        for (const m of parser.push(stream.subarray(i, i + n))) {
          if (m.kind !== 'measurement') continue; // random garbage may form a valid reply by chance
          expect(m.pm25 === 14 || m.pm25 === 0.9).toBe(true);
          received += 1;
        }
        i += n;
      }
    }
    const stats = parser.stats();
    expect(stats.tailErrors).toBeGreaterThan(300); // the resync paths did run
    expect(stats.checksumErrors).toBeGreaterThan(300);
    expect(received).toBe(sent);
    expect(stats.framesOk).toBe(sent);
    expect(stats.garbageBytes + 10 * stats.framesOk + 10 * stats.commandReplies).toBe(totalBytes);
  });
});

describe('host commands', () => {
  it('encodes the commands of the protocol sheet and PyPMS byte for byte', () => {
    const h = (b: Buffer): string => b.toString('hex');
    // SENSOR-PROTOCOLS.md: the query command.
    expect(h(SDS011_HOST_COMMANDS.query)).toBe('aab404000000000000000000000000ffff02ab');
    // PyPMS docs/sensors/NovaFitness.md
    expect(h(SDS011_HOST_COMMANDS.activeMode)).toBe('aab402010000000000000000000000ffff01ab');
    expect(h(SDS011_HOST_COMMANDS.queryMode)).toBe('aab402010100000000000000000000ffff02ab');
    expect(h(SDS011_HOST_COMMANDS.sleep)).toBe('aab406010000000000000000000000ffff05ab');
    expect(h(SDS011_HOST_COMMANDS.work)).toBe('aab406010100000000000000000000ffff06ab');
    // Protocol sheet V1.3, addressed to the sensor with id A160.
    expect(h(encodeSds011Command(SDS011_COMMAND.reportingMode, [1, 1], 0xa160))).toBe('aab402010100000000000000000000a16005ab');
    expect(h(encodeSds011Command(SDS011_COMMAND.workingPeriod, [1, 1], 0xa160))).toBe('aab408010100000000000000000000a1600bab');
    expect(h(encodeSds011Command(SDS011_COMMAND.reportingMode, [0, 0]))).toBe('aab402000000000000000000000000ffff00ab');
    expect(h(workingPeriodCommand(0))).toBe('aab408010000000000000000000000ffff07ab');
  });

  it('takes the checksum modulo 256', () => {
    // 0x05 + 0xA0 + 0x01 + 0xA1 + 0x60 = 0x1A7: the sheet's "set device id A160 → A001" command ends A7 AB.
    const cmd = encodeSds011Command(0x05, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa0, 0x01], 0xa160);
    expect(cmd).toEqual(hex('aab4 05 00000000000000000000 a001 a160 a7 ab'));
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
