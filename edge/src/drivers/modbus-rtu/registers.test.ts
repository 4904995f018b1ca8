import { describe, expect, it } from 'vitest';
import { decodeRegisters, registerCount, toEngineering, type RegisterType, type WordOrder } from './registers.js';

describe('decodeRegisters', () => {
  // [words as sent, type, word order, value]; 32-bit words written out by hand from the IEEE 754 / two's complement bits.
  it.each<[number[], RegisterType, WordOrder, number]>([
    [[0x012c], 'uint16', 'big', 300],
    [[0xff38], 'uint16', 'big', 65336],
    [[0xff38], 'int16', 'big', -200],
    [[0x7fff], 'int16', 'big', 32767],
    [[0x8000], 'int16', 'big', -32768],
    [[0x075b, 0xcd15], 'uint32', 'big', 123_456_789],
    [[0xcd15, 0x075b], 'uint32', 'little', 123_456_789],
    [[0xffff, 0xfffe], 'int32', 'big', -2],
    [[0xfffe, 0xffff], 'int32', 'little', -2],
    [[0xffff, 0xfffe], 'uint32', 'big', 4_294_967_294],
    [[0x40e6, 0x6666], 'float32', 'big', 7.2],
    [[0x6666, 0x40e6], 'float32', 'little', 7.2],
    [[0x41ca, 0x6666], 'float32', 'big', 25.3],
    [[0xc148, 0x0000], 'float32', 'big', -12.5],
    [[0x4479, 0xc000], 'float32', 'big', 999],
    [[0x0000, 0x0000], 'float32', 'big', 0],
  ])('%j as %s (%s word first) is %d', (words, type, order, value) => {
    expect(decodeRegisters(words, type, order)).toBe(value);
  });

  it('gives the shortest decimal of a float32, not its binary expansion', () => {
    // 0x3dcccccd is the float32 nearest 0.1; as a double it is 0.10000000149011612.
    expect(decodeRegisters([0x3dcc, 0xcccd], 'float32', 'big')).toBe(0.1);
    expect(decodeRegisters([0x4b18, 0x9680], 'float32', 'big')).toBe(10_000_000);
  });

  it('round-trips every float32 through at most 9 significant digits (fixed-seed sample of bit patterns)', () => {
    let seed = 12_345;
    const next16 = (): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16;
    const buf = Buffer.alloc(4);
    for (let i = 0; i < 20_000; i += 1) {
      const [hi, lo] = [next16(), next16()];
      buf.writeUInt16BE(hi, 0);
      buf.writeUInt16BE(lo, 2);
      const exact = buf.readFloatBE(0);
      if (!Number.isFinite(exact)) continue;
      const value = decodeRegisters([hi, lo], 'float32', 'big');
      expect(Math.fround(value)).toBe(exact);
      expect(Number(value.toPrecision(9))).toBe(value);
    }
    // 0x417a3833 needs all 9 digits (seen from a simulated turbidity probe): 15.6387205
    expect(decodeRegisters([0x417a, 0x3833], 'float32', 'big')).toBe(15.6387205);
  });

  it('passes NaN and infinities through for the caller to refuse', () => {
    expect(decodeRegisters([0x7fc0, 0x0000], 'float32', 'big')).toBeNaN();
    expect(decodeRegisters([0x7f80, 0x0000], 'float32', 'big')).toBe(Infinity);
  });

  it('knows how many registers each type spans', () => {
    expect(['int16', 'uint16', 'int32', 'uint32', 'float32'].map((t) => registerCount(t as RegisterType))).toEqual([1, 1, 2, 2, 2]);
  });
});

describe('toEngineering', () => {
  it.each([
    [253, 0.1, 0, 25.3], // 253 · 0.1 is 25.300000000000004 in binary floating point
    [-200, 0.1, 0, -20],
    [1013, 1, 0, 1013],
    [4000, 0.01, -40, 0], // a 0.01 °C register with a −40 °C offset
    [3, 1145, 0, 3435], // CO ppm → µg/m³ at 25 °C
    [7, 0.07, 0, 0.49],
  ])('%d · %d + %d = %d', (raw, scale, offset, value) => {
    expect(toEngineering(raw, scale, offset)).toBe(value);
  });
});
