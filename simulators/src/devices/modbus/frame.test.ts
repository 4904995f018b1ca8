import { describe, expect, it } from 'vitest';
import { createPrng } from '../../util/prng.js';
import { appendModbusCrc, hasValidModbusCrc, modbusCrc } from './crc.js';
import { encodeExceptionResponse, encodeReadResponse, encodeWriteSingleResponse, ModbusRequestReader } from './frame.js';
import { encodeRaw, encodeRegisterDef, type ModbusValueType, type ModbusWordOrder } from './registers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-16/MODBUS', () => {
  it('matches the vectors of vectors.json and SENSOR-PROTOCOLS.md', () => {
    expect(modbusCrc(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    expect(appendModbusCrc(hex('01 03 00 00 00 0a')).toString('hex')).toBe('01030000000ac5cd');
    expect(appendModbusCrc(hex('01 06 00 01 00 03')).toString('hex')).toBe('010600010003980b');
    expect(hasValidModbusCrc(hex('01 03 04 01 2c 00 64 3b ed'))).toBe(true);
    expect(hasValidModbusCrc(hex('01 03 04 01 2c 00 64 ed 3b'))).toBe(false);
  });
});

describe('responses', () => {
  it('encodes the worked response of SENSOR-PROTOCOLS.md (300 and 100)', () => {
    expect(encodeReadResponse(1, 3, [300, 100]).toString('hex')).toBe('010304012c00643bed');
  });

  it('encodes exception responses with function | 0x80 and write echoes', () => {
    const exception = encodeExceptionResponse(7, 4, 2);
    expect(exception.subarray(0, 3).toString('hex')).toBe('078402');
    expect(exception).toHaveLength(5);
    expect(hasValidModbusCrc(exception)).toBe(true);
    expect(encodeWriteSingleResponse(1, 1, 3).toString('hex')).toBe('010600010003980b');
  });
});

describe('ModbusRequestReader', () => {
  const READ = hex('01 03 00 00 00 0a c5 cd');
  const WRITE = hex('01 06 00 01 00 03 98 0b');

  it('cuts requests of known length as soon as they are complete, whatever the chunking', () => {
    const reader = new ModbusRequestReader();
    const got = [...Buffer.concat([READ, WRITE])].flatMap((b) => reader.push(Buffer.of(b)));
    expect(got).toEqual([
      { unitId: 1, functionCode: 3, data: hex('0000000a') },
      { unitId: 1, functionCode: 6, data: hex('00010003') },
    ]);
    expect(reader.rejectedBytes).toBe(0);
  });

  it('skips noise and a request with a bad CRC, one byte at a time', () => {
    const reader = new ModbusRequestReader();
    const bad = Buffer.from(READ);
    bad[7] = 0;
    // Noise whose bytes read as known functions: resynchronised without waiting for silence.
    expect(reader.push(Buffer.concat([hex('ff 03'), READ]))).toEqual([{ unitId: 1, functionCode: 3, data: hex('0000000a') }]);
    expect(reader.rejectedBytes).toBe(2);
    // A bad frame holds an unknown "function" (its 00 bytes): the request behind it waits for the silence.
    expect(reader.push(Buffer.concat([bad, READ]))).toEqual([]);
    expect(reader.flush()).toEqual([{ unitId: 1, functionCode: 3, data: hex('0000000a') }]);
    expect(reader.rejectedBytes).toBe(2 + 8);
  });

  it('frames a request of unknown length by the silence after it, and drops a frame cut short', () => {
    const reader = new ModbusRequestReader();
    const mei = appendModbusCrc(hex('01 2b 0e 01 00')); // read device identification: length not fixed by the code
    expect(reader.push(mei)).toEqual([]);
    expect(reader.flush()).toEqual([{ unitId: 1, functionCode: 0x2b, data: hex('0e0100') }]);
    expect(reader.push(READ.subarray(0, 5))).toEqual([]);
    expect(reader.flush()).toEqual([]);
    expect(reader.rejectedBytes).toBe(5);
    expect(reader.push(READ)).toHaveLength(1);
  });

  it('handles write multiple (16) by its byte count', () => {
    const reader = new ModbusRequestReader();
    const req = appendModbusCrc(hex('11 10 0001 0002 04 000a 0102'));
    expect(reader.push(req)).toEqual([{ unitId: 0x11, functionCode: 16, data: hex('0001000204000a0102') }]);
  });

  it('survives random bytes (fixed seed): never throws, finds every request, accounts for every byte', () => {
    const prng = createPrng(20_251_129);
    const reader = new ModbusRequestReader();
    let total = 0;
    let found = 0;
    for (let round = 0; round < 2000; round += 1) {
      const noise = Buffer.from(Array.from({ length: prng.int(0, 12) }, () => prng.int(0, 255)));
      const stream = Buffer.concat([noise, READ]);
      total += stream.length;
      for (let i = 0; i < stream.length; ) {
        const n = prng.int(1, 6);
        found += reader.push(stream.subarray(i, i + n)).length;
        i += n;
      }
      found += reader.flush().length; // the silence after each request
    }
    expect(found).toBe(2000);
    expect(reader.rejectedBytes + 8 * found).toBe(total);
  });
});

/** Independent decoding of register words, from the bit layouts, for checking the encoder. */
function decodeWords(words: number[], type: ModbusValueType, order: ModbusWordOrder): number {
  const [a = 0, b = 0] = words;
  if (type === 'uint16') return a;
  if (type === 'int16') return a >= 0x8000 ? a - 0x10000 : a;
  const [hi, lo] = order === 'big' ? [a, b] : [b, a];
  const u = hi * 0x10000 + lo;
  if (type === 'uint32') return u;
  if (type === 'int32') return u >= 0x80000000 ? u - 0x100000000 : u;
  const sign = hi & 0x8000 ? -1 : 1;
  const exponent = (hi >> 7) & 0xff;
  const mantissa = (hi & 0x7f) * 0x10000 + lo;
  if (exponent === 0) return sign * mantissa * 2 ** -149;
  return sign * (1 + mantissa / 2 ** 23) * 2 ** (exponent - 127);
}

describe('register encoding', () => {
  it.each<[number, ModbusValueType, ModbusWordOrder, number[]]>([
    [300, 'uint16', 'big', [0x012c]],
    [-200, 'int16', 'big', [0xff38]],
    [123_456_789, 'uint32', 'big', [0x075b, 0xcd15]],
    [123_456_789, 'uint32', 'little', [0xcd15, 0x075b]],
    [-2, 'int32', 'big', [0xffff, 0xfffe]],
    [-2, 'int32', 'little', [0xfffe, 0xffff]],
    [7.2, 'float32', 'big', [0x40e6, 0x6666]],
    [7.2, 'float32', 'little', [0x6666, 0x40e6]],
    [-12.5, 'float32', 'big', [0xc148, 0x0000]],
  ])('%d as %s (%s word first) is %j', (value, type, order, words) => {
    expect(encodeRaw(value, type, order)).toEqual(words);
    expect(decodeWords(words, type, order)).toBeCloseTo(value, 5);
  });

  it('clamps and rounds integer types, applies scale and offset', () => {
    expect(encodeRaw(70_000, 'uint16', 'big')).toEqual([0xffff]);
    expect(encodeRaw(-1, 'uint16', 'big')).toEqual([0]);
    expect(encodeRaw(40_000, 'int16', 'big')).toEqual([0x7fff]);
    expect(encodeRaw(2.5, 'int16', 'big')).toEqual([3]);
    const now = new Date(0);
    expect(encodeRegisterDef({ address: 0, type: 'int16', scale: 0.1, value: -3.5 }, now)).toEqual([0xffdd]);
    expect(encodeRegisterDef({ address: 0, type: 'uint16', scale: 0.01, offset: -40, value: 25 }, now)).toEqual([6500]);
    expect(encodeRegisterDef({ address: 0, type: 'uint16', value: (t) => t.getTime() + 9 }, now)).toEqual([9]);
  });

  it('round-trips random values of every type through the independent decoder (fixed seed)', () => {
    const prng = createPrng(77);
    for (let i = 0; i < 2000; i += 1) {
      const order: ModbusWordOrder = prng.next() < 0.5 ? 'big' : 'little';
      const u16 = prng.int(0, 0xffff);
      const i32 = prng.int(-0x80000000, 0x7fffffff);
      const f = Math.fround((prng.next() - 0.5) * 10 ** prng.int(-3, 6));
      expect(decodeWords(encodeRaw(u16, 'uint16', order), 'uint16', order)).toBe(u16);
      expect(decodeWords(encodeRaw(u16 - 0x8000, 'int16', order), 'int16', order)).toBe(u16 - 0x8000);
      expect(decodeWords(encodeRaw(i32, 'int32', order), 'int32', order)).toBe(i32);
      expect(decodeWords(encodeRaw(i32 + 0x80000000, 'uint32', order), 'uint32', order)).toBe(i32 + 0x80000000);
      expect(decodeWords(encodeRaw(f, 'float32', order), 'float32', order)).toBe(f);
    }
  });
});
