// Data change → reading, without the network: the timestamp fallbacks and conversions a real server rarely shows.
import { describe, expect, it } from 'vitest';
import type { OpcuaSample } from './link.js';
import { numericValue, qualityOfStatus, sampleToReading } from './readings.js';

const SOURCE = Date.UTC(2025, 0, 1, 0, 0, 0, 123);
const SERVER = SOURCE + 250;
const AGENT = SOURCE + 900;
const node = { sensor: 'hn-st1', metric: 'pm25' };

function sample(over: Partial<OpcuaSample> = {}): OpcuaSample {
  return { value: 41.5, dataType: 'Double', isScalar: true, statusCode: 0, statusName: 'Good', sourceTs: SOURCE, serverTs: SERVER, ...over };
}

describe('sampleToReading', () => {
  it('stamps the SourceTimestamp, else the ServerTimestamp, else the agent clock, and says which', () => {
    const now = (): number => AGENT;
    expect(sampleToReading(sample(), node, now)).toEqual({
      reading: { sensor: 'hn-st1', metric: 'pm25', ts: SOURCE, value: 41.5, quality: 'good' },
      quality: 'good',
      tsFrom: 'source',
    });
    expect(sampleToReading(sample({ sourceTs: undefined }), node, now)).toMatchObject({ reading: { ts: SERVER }, tsFrom: 'server' });
    expect(sampleToReading(sample({ sourceTs: undefined, serverTs: undefined }), node, now)).toMatchObject({ reading: { ts: AGENT }, tsFrom: 'agent' });
  });

  it('treats a timestamp the wire would refuse as absent (OPC-UA null date 1601, a device clock at 1970)', () => {
    const now = (): number => AGENT;
    const nullDate = Date.UTC(1601, 0, 1);
    expect(sampleToReading(sample({ sourceTs: nullDate }), node, now)).toMatchObject({ reading: { ts: SERVER }, tsFrom: 'server' });
    expect(sampleToReading(sample({ sourceTs: 86_400_000, serverTs: nullDate }), node, now)).toMatchObject({ tsFrom: 'agent' });
    expect(sampleToReading(sample({ sourceTs: Date.UTC(2100, 0, 1) }), node, now).tsFrom).toBe('server');
  });

  it('keeps a value that comes with a Bad status, as a bad reading; emits nothing without a numeric value', () => {
    const bad = 0x80_8b_00_00; // BadSensorFailure
    expect(sampleToReading(sample({ statusCode: bad }), node, () => AGENT)).toMatchObject({ reading: { value: 41.5, quality: 'bad' }, quality: 'bad' });
    expect(sampleToReading(sample({ statusCode: bad, value: null, dataType: 'Null' }), node, () => AGENT)).toEqual({
      reading: undefined,
      quality: 'bad',
      tsFrom: 'source',
    });
  });
});

describe('qualityOfStatus', () => {
  it.each([
    [0x0000_0000, 'good'], // Good
    [0x0096_0000, 'good'], // GoodLocalOverride
    [0x4000_0000, 'uncertain'], // Uncertain
    [0x4090_0000, 'uncertain'], // UncertainLastUsableValue
    [0x8000_0000, 'bad'], // Bad
    [0x808a_0000, 'bad'], // BadNotConnected
    [0xc000_0000, 'bad'], // reserved severity 11: treated as bad
  ])('0x%s → %s', (code, quality) => {
    expect(qualityOfStatus(code)).toBe(quality);
  });
});

describe('numericValue', () => {
  it.each([
    [{ value: 12.5, dataType: 'Double' }, 12.5],
    [{ value: -3, dataType: 'Int16' }, -3],
    [{ value: true, dataType: 'Boolean' }, 1],
    [{ value: false, dataType: 'Boolean' }, 0],
    [{ value: [0, 1234], dataType: 'Int64' }, 1234],
    [{ value: [0xffff_ffff, 0xffff_fffe], dataType: 'Int64' }, -2],
    [{ value: [1, 0], dataType: 'UInt64' }, 2 ** 32],
    [{ value: [0x0020_0000, 0], dataType: 'UInt64' }, undefined], // 2^53: not exact as a double
    [{ value: [0, 1], dataType: 'Double' }, undefined],
    [{ value: Number.NaN, dataType: 'Double' }, undefined],
    [{ value: Number.POSITIVE_INFINITY, dataType: 'Float' }, undefined],
    [{ value: '41.5', dataType: 'String' }, undefined],
    [{ value: null, dataType: 'Null' }, undefined],
    [{ value: new Date(0), dataType: 'DateTime' }, undefined],
  ])('%j → %s', (v, expected) => {
    expect(numericValue({ ...v, isScalar: true })).toBe(expected);
  });

  it('refuses arrays', () => {
    expect(numericValue({ value: new Float64Array([1, 2]), dataType: 'Double', isScalar: false })).toBeUndefined();
  });
});
