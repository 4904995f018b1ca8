import { describe, expect, it } from 'vitest';
import { Pms5003Parser, type Pms5003Frame } from './frame.js';

// pms5003_frames[0] of ../shared/domain/vectors.json, "captured from a real sensor".
const CAPTURED = Buffer.from('424d001c00000008000800000008000800d20046002d001e00000000970002c5', 'hex');
const CAPTURED_FRAME: Pms5003Frame = {
  pm1_cf1: 0,
  pm25_cf1: 8,
  pm10_cf1: 8,
  pm1: 0,
  pm25: 8,
  pm10: 8,
  counts: [210, 70, 45, 30, 0, 0],
  version: 0x97,
  error: 0,
};
// A second frame, hand-made per the spec: atmospheric 35/52/61, CF=1 52/78/92.
const SECOND = Buffer.from('424d001c0034004e005c00230034003d15180640012c00280008000297000386', 'hex');

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function pushBytewise(parser: Pms5003Parser, bytes: Buffer): Pms5003Frame[] {
  return [...bytes].flatMap((b) => parser.push(Uint8Array.of(b)));
}

describe('Pms5003Parser', () => {
  it('decodes the captured frame of vectors.json exactly', () => {
    const parser = new Pms5003Parser();
    expect(parser.push(CAPTURED)).toEqual([CAPTURED_FRAME]);
    expect(parser.stats()).toEqual({ framesOk: 1, checksumErrors: 0, lengthErrors: 0, garbageBytes: 0, commandReplies: 0 });
  });

  it('decodes big-endian words above 255', () => {
    const [frame] = new Pms5003Parser().push(SECOND);
    expect(frame).toMatchObject({ pm1: 35, pm25: 52, pm10: 61, pm1_cf1: 52, pm25_cf1: 78, pm10_cf1: 92 });
    expect(frame?.counts).toEqual([5400, 1600, 300, 40, 8, 2]);
  });

  it('resynchronises after garbage before and between frames, counting every dropped byte', () => {
    const parser = new Pms5003Parser();
    const frames = parser.push(Buffer.concat([hex('0042ff4d'), CAPTURED, hex('4d4d42'), SECOND, hex('13')]));
    expect(frames.map((f) => f.pm25)).toEqual([8, 52]);
    expect(parser.stats()).toMatchObject({ framesOk: 2, garbageBytes: 4 + 3 + 1 });
  });

  it('assembles frames fed one byte at a time, and split at every possible point', () => {
    const parser = new Pms5003Parser();
    expect(pushBytewise(parser, Buffer.concat([CAPTURED, SECOND]))).toEqual([CAPTURED_FRAME, expect.objectContaining({ pm25: 52 })]);
    for (let cut = 1; cut < 32; cut += 1) {
      const p = new Pms5003Parser();
      expect([...p.push(CAPTURED.subarray(0, cut)), ...p.push(CAPTURED.subarray(cut))]).toEqual([CAPTURED_FRAME]);
    }
  });

  it('counts a bad checksum and never emits the frame', () => {
    const corrupt = Buffer.from(CAPTURED);
    corrupt[13] = 9; // pm25 8 -> 2313, checksum unchanged
    const parser = new Pms5003Parser();
    expect(parser.push(Buffer.concat([corrupt, CAPTURED]))).toEqual([CAPTURED_FRAME]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, checksumErrors: 1, garbageBytes: 32 });
  });

  it('counts a wrong length and finds the next frame', () => {
    const parser = new Pms5003Parser();
    // A PMS3003-style header (length 20) and a random start pair
    expect(parser.push(Buffer.concat([hex('424d0014'), hex('424d9999'), CAPTURED]))).toEqual([CAPTURED_FRAME]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, lengthErrors: 2, garbageBytes: 8 });
  });

  it('recovers the next frame when a byte was lost from the previous one', () => {
    const parser = new Pms5003Parser();
    const shortened = Buffer.concat([CAPTURED.subarray(0, 20), CAPTURED.subarray(21)]); // 31 bytes
    expect(parser.push(Buffer.concat([shortened, SECOND]))).toEqual([expect.objectContaining({ pm25: 52 })]);
    expect(parser.stats()).toMatchObject({ framesOk: 1, checksumErrors: 1, garbageBytes: 31 });
  });

  it('takes the sensor’s 8-byte command answers as replies, not errors', () => {
    const parser = new Pms5003Parser();
    const frames = pushBytewise(parser, Buffer.concat([hex('424d0004e1000174'), CAPTURED, hex('424d0004e4000177')]));
    expect(frames).toEqual([CAPTURED_FRAME]);
    expect(parser.stats()).toEqual({ framesOk: 1, checksumErrors: 0, lengthErrors: 0, garbageBytes: 0, commandReplies: 2 });
  });

  it('survives random garbage (fixed seed): never throws, loses no frame, invents none, accounts for every byte', () => {
    const random = mulberry32(20_251_126);
    const parser = new Pms5003Parser();
    const frames = [CAPTURED, SECOND];
    let sent = 0;
    let received = 0;
    let totalBytes = 0;
    for (let round = 0; round < 3000; round += 1) {
      const garbage = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
      // Some garbage is made to look like starts, to exercise the resync paths.
      if (garbage.length >= 2 && random() < 0.3) garbage.set([0x42, 0x4d], garbage.length - 2);
      const frame = frames[round % 2] ?? CAPTURED;
      // ... and some are preceded by a frame cut short (a reset) or with one data byte hit by noise.
      let damaged = Buffer.alloc(0);
      const r = random();
      // (cut before its checksum, so that random garbage cannot complete it by chance)
      if (r < 0.15) damaged = frame.subarray(0, 4 + Math.floor(random() * 26));
      else if (r < 0.3) {
        damaged = Buffer.from(frame);
        const at = 4 + Math.floor(random() * 26);
        damaged[at] = (damaged[at] ?? 0) ^ (1 + Math.floor(random() * 255));
      }
      const stream = Buffer.concat([damaged, garbage, frame]);
      totalBytes += stream.length;
      sent += 1;
      // Feed in random-sized chunks.
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(random() * 48);
        for (const f of parser.push(stream.subarray(i, i + n))) {
          expect(f.pm25 === 8 || f.pm25 === 52).toBe(true);
          received += 1;
        }
        i += n;
      }
    }
    const stats = parser.stats();
    expect(stats.lengthErrors + stats.checksumErrors).toBeGreaterThan(500); // the resync paths did run
    expect(stats.checksumErrors).toBeGreaterThan(300);
    expect(received).toBe(sent);
    expect(stats.framesOk).toBe(sent);
    expect(stats.garbageBytes + 32 * stats.framesOk + 8 * stats.commandReplies).toBe(totalBytes);
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
