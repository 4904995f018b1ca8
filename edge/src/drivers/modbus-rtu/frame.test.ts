import { describe, expect, it } from 'vitest';
import { crc16Modbus, crcValid, withCrc } from './crc.js';
import { encodeReadRequest, matchResponse, responseLength, type ReadRequest } from './frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-16/MODBUS', () => {
  it('matches the vectors of vectors.json', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    expect(withCrc(hex('01 03 00 00 00 0a')).toString('hex')).toBe('01030000000ac5cd');
    expect(withCrc(hex('01 06 00 01 00 03')).toString('hex')).toBe('010600010003980b');
  });

  it('checks the worked response of SENSOR-PROTOCOLS.md, low byte first', () => {
    expect(crcValid(hex('01 03 04 01 2c 00 64 3b ed'))).toBe(true);
    expect(crcValid(hex('01 03 04 01 2c 00 64 ed 3b'))).toBe(false); // high byte first is wrong
    expect(crcValid(hex('01 03 04 01 2d 00 64 3b ed'))).toBe(false);
    expect(crcValid(hex('01 03'))).toBe(false);
  });
});

describe('read requests', () => {
  it('encodes address and quantity big-endian, CRC low byte first', () => {
    expect(encodeReadRequest({ unitId: 1, fn: 3, address: 0, count: 10 }).toString('hex')).toBe('01030000000ac5cd');
    const req = encodeReadRequest({ unitId: 247, fn: 4, address: 0x1234, count: 125 });
    expect(req.subarray(0, 6).toString('hex')).toBe('f7041234007d');
    expect(crcValid(req)).toBe(true);
  });
});

describe('matchResponse', () => {
  const req: ReadRequest = { unitId: 1, fn: 3, address: 0, count: 2 };
  const RESPONSE = hex('01 03 04 01 2c 00 64 3b ed'); // registers 300 and 100

  it('reads the worked response of SENSOR-PROTOCOLS.md', () => {
    expect(responseLength(req)).toBe(9);
    expect(matchResponse(RESPONSE, req)).toEqual({ status: 'ok', registers: [300, 100], skipped: 0 });
  });

  it('waits for the rest of a response split anywhere', () => {
    for (let cut = 0; cut < RESPONSE.length; cut += 1) {
      expect(matchResponse(RESPONSE.subarray(0, cut), req)).toEqual({ status: 'incomplete', crcErrorSeen: false });
    }
  });

  it('skips noise before the response, including bytes that look like its unit id', () => {
    const rx = Buffer.concat([hex('00 ff 01 01 83 01 03 99'), RESPONSE]);
    expect(matchResponse(rx, req)).toEqual({ status: 'ok', registers: [300, 100], skipped: 8 });
  });

  it('ignores answers of other units and other functions', () => {
    const other = withCrc(hex('02 03 04 00 01 00 02'));
    const fn4 = withCrc(hex('01 04 04 00 01 00 02'));
    expect(matchResponse(Buffer.concat([other, fn4, RESPONSE]), req)).toMatchObject({ status: 'ok', registers: [300, 100], skipped: 18 });
  });

  it('reads an exception response with its code', () => {
    const exception = withCrc(hex('01 83 02'));
    expect(exception.length).toBe(5);
    expect(matchResponse(exception, req)).toEqual({ status: 'exception', exceptionCode: 2, skipped: 0 });
    expect(matchResponse(withCrc(hex('01 84 04')), { ...req, fn: 4 })).toMatchObject({ status: 'exception', exceptionCode: 4 });
  });

  it('reports a complete candidate with a bad CRC, but prefers a valid response further on', () => {
    const bad = Buffer.from(RESPONSE);
    bad[4] = 0x2d;
    expect(matchResponse(bad, req)).toEqual({ status: 'crc-error', skipped: 0 });
    expect(matchResponse(Buffer.concat([bad, RESPONSE]), req)).toEqual({ status: 'ok', registers: [300, 100], skipped: 9 });
    const badException = withCrc(hex('01 83 02'));
    badException[4] = (badException[4] ?? 0) ^ 1;
    expect(matchResponse(badException, req)).toEqual({ status: 'crc-error', skipped: 0 });
  });

  it('keeps waiting while a candidate is incomplete, remembering a CRC error seen before it', () => {
    const bad = Buffer.from(RESPONSE);
    bad[4] = 0x2d;
    expect(matchResponse(Buffer.concat([bad, RESPONSE.subarray(0, 4)]), req)).toEqual({ status: 'incomplete', crcErrorSeen: true });
  });

  it('survives random bytes (fixed seed): never throws, never invents a response', () => {
    const random = mulberry32(20_251_128);
    let oks = 0;
    for (let round = 0; round < 5000; round += 1) {
      const noise = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
      // Make some noise look like the start of the answer, to exercise the candidate paths.
      if (noise.length > 3 && random() < 0.5) noise.set([1, random() < 0.5 ? 3 : 0x83, 4], Math.floor(random() * (noise.length - 3)));
      const m = matchResponse(noise, req);
      expect(['incomplete', 'crc-error', 'ok', 'exception']).toContain(m.status);
      if (m.status === 'ok') oks += 1;
      // Noise followed by the real response yields the real response (unless the noise alone held a valid answer).
      if (m.status !== 'ok' && m.status !== 'exception') {
        expect(matchResponse(Buffer.concat([noise, RESPONSE]), req)).toMatchObject({ status: 'ok', registers: [300, 100] });
      }
    }
    expect(oks).toBe(0); // a valid CRC by chance is a 1-in-65536 event per candidate
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
