import { describe, expect, it } from 'vitest';
import type { StoredReading } from '../telemetry-store.js';
import { StoreErrorCode } from '../errors.js';
import { encodeReadings, encodeReadingsToBuffer, escapeTagValue } from './line-protocol.js';

const reading = (over: Partial<StoredReading> = {}): StoredReading => ({
  site: 'hanoi-01',
  gateway: 'gw-1',
  sensor: 'pms-1',
  metric: 'pm25',
  ts: 1_700_000_000_123,
  value: 12.5,
  quality: 'good',
  ...over,
});

describe('line protocol', () => {
  it('writes sorted tags, a float value, the quality code as an integer and the ms timestamp', () => {
    expect(encodeReadings([reading(), reading({ value: 20, quality: 'bad', ts: 1 })])).toBe(
      'telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=12.5,q=0i 1700000000123\n' +
        'telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=20,q=2i 1',
    );
  });

  it.each([
    ['plain-id_1', 'plain-id_1'],
    ['a b', 'a\\ b'],
    ['a,b', 'a\\,b'],
    ['a=b', 'a\\=b'],
    [`o'brien "x"`, `o'brien\\ "x"`],
  ])('escapes tag value %j as %j', (raw, escaped) => {
    expect(escapeTagValue(raw)).toBe(escaped);
  });

  it.each([1e21, 5e-324, -0, 1.7976931348623157e308, -273.15])('writes %d as a float InfluxDB parses', (value) => {
    expect(encodeReadings([reading({ value })])).toContain(` value=${String(value)},`);
  });

  it('lists every refused reading, with its index and field', () => {
    let thrown: unknown;
    try {
      encodeReadings([reading(), reading({ value: Number.NaN }), reading({ site: 'a\\b' }), reading({ ts: -1e20 })]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: StoreErrorCode.BAD_DATA,
      retryable: false,
      rejected: [
        { index: 1, reason: 'value: must be a finite number (got NaN)' },
        { index: 2, reason: 'site: must not contain control characters or a backslash' },
        { index: 3, reason: expect.stringMatching(/^ts: /) as unknown },
      ],
      message: expect.stringContaining('readings[1].value: must be a finite number (got NaN)') as unknown,
    });
  });
});

describe('line protocol into a buffer', () => {
  it('writes UTF-8 ids, negative and zero timestamps, and many series exactly as the text encoder', () => {
    const readings = [
      reading({ site: 'Hà Nam ✓', sensor: 'a,b=c d', ts: 0 }),
      reading({ ts: -1_000, value: -0.5, quality: 'uncertain' }),
      ...Array.from({ length: 2000 }, (_, i) => reading({ sensor: `s-${i % 97}`, metric: `m${i % 3}`, ts: 1_764_064_800_000 + i, value: i / 7 })),
    ];
    const text = encodeReadingsToBuffer(readings).toString('utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(readings.length);
    expect(lines[0]).toBe('telemetry,gateway=gw-1,metric=pm25,sensor=a\\,b\\=c\\ d,site=Hà\\ Nam\\ ✓ value=12.5,q=0i 0');
    expect(lines[1]).toBe('telemetry,gateway=gw-1,metric=pm25,sensor=pms-1,site=hanoi-01 value=-0.5,q=1i -1000');
    readings.slice(2).forEach((r, i) => {
      expect(lines[i + 2]).toBe(`telemetry,gateway=gw-1,metric=${r.metric},sensor=${r.sensor},site=hanoi-01 value=${String(r.value)},q=0i ${r.ts}`);
    });
  });
});
