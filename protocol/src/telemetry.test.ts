import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  MAX_PAYLOAD_BYTES,
  MAX_READINGS,
  decodeTelemetry,
  encodeTelemetry,
  isErrorCode,
  validateReading,
  type ProtocolError,
  type ReadingInput,
  type Result,
  type TelemetryBatch,
} from './index.js';

const TS = 1764064800000; // 2025-11-25T10:00:00Z
const EXAMPLE = '{"seq": 1042, "readings": [{"sensor": "pm-01", "metric": "pm25", "ts": 1764064800000, "value": 42.1, "quality": "good"}]}';

function decoded(payload: Uint8Array | string): TelemetryBatch {
  const result = decodeTelemetry(payload);
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function failure<T>(result: Result<T>): ProtocolError {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

function thrown(fn: () => unknown): { code?: unknown; path?: unknown; name?: unknown } {
  try {
    fn();
  } catch (err) {
    return err as { code?: unknown; path?: unknown };
  }
  throw new Error('expected a throw');
}

/** Telemetry JSON with `readings` spliced in raw, so tests can send what a typed encoder never would. */
function batchWith(readingsJson: string, seq = '1'): string {
  return `{"seq":${seq},"readings":[${readingsJson}]}`;
}

function reading(fields: Record<string, string>): string {
  const all: Record<string, string> = { sensor: '"pm-01"', metric: '"pm25"', ts: String(TS), value: '42.1', ...fields };
  const pairs = Object.entries(all).filter(([, v]) => v !== 'OMIT');
  return `{${pairs.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

describe('decodeTelemetry: valid payloads', () => {
  it('decodes the documented example, from a string and from bytes', () => {
    const expected: TelemetryBatch = {
      seq: 1042,
      readings: [{ sensor: 'pm-01', metric: 'pm25', ts: TS, value: 42.1, quality: 'good' }],
      historical: false,
    };
    expect(decoded(EXAMPLE)).toEqual(expected);
    expect(decoded(Buffer.from(EXAMPLE))).toEqual(expected);
    expect(decoded(new TextEncoder().encode(EXAMPLE))).toEqual(expected);
  });

  it('defaults a missing quality to good and keeps the others', () => {
    const batch = decoded(
      batchWith([reading({}), reading({ quality: '"uncertain"' }), reading({ quality: '"bad"', value: '-3' })].join(',')),
    );
    expect(batch.readings.map((r) => r.quality)).toEqual(['good', 'uncertain', 'bad']);
    expect(batch.readings[2]?.value).toBe(-3);
  });

  it('ignores and strips extra fields at batch and reading level', () => {
    const payload = `{"seq":7,"gw_time":"x","nested":{"a":[1]},"readings":[${reading({ unit: '"µg/m³"', raw: '[1,2]' })}],"historical":true}`;
    const batch = decoded(payload);
    expect(batch).toEqual({
      seq: 7,
      readings: [{ sensor: 'pm-01', metric: 'pm25', ts: TS, value: 42.1, quality: 'good' }],
      historical: true,
    });
    expect(Object.keys(batch.readings[0] ?? {})).toEqual(['sensor', 'metric', 'ts', 'value', 'quality']);
  });

  it('accepts the edges of the ranges: ts 2000-01-01 and 2099-12-31, seq 0 and 2^53-1', () => {
    const lo = Date.UTC(2000, 0, 1);
    const hi = Date.UTC(2100, 0, 1) - 1;
    const batch = decoded(batchWith([reading({ ts: String(lo) }), reading({ ts: String(hi) })].join(','), '0'));
    expect(batch.readings.map((r) => r.ts)).toEqual([lo, hi]);
    expect(decoded(batchWith(reading({}), String(Number.MAX_SAFE_INTEGER))).seq).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('accepts as many readings as fit in MAX_PAYLOAD_BYTES (the byte cap binds before MAX_READINGS)', () => {
    const tiny = '{"sensor":"a","metric":"co","ts":946684800000,"value":1}';
    expect(decoded(batchWith(Array(4500).fill(tiny).join(','))).readings).toHaveLength(4500);
    expect(failure(decodeTelemetry(batchWith(Array(MAX_READINGS).fill(tiny).join(',')))).code).toBe('IOC_ERR_PAYLOAD_TOO_LARGE');
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(decoded(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(EXAMPLE)])).seq).toBe(1042);
  });
});

describe('decodeTelemetry: garbage is refused with the exact code and path', () => {
  const table: Array<[string, Uint8Array | string, string, string]> = [
    ['empty buffer', new Uint8Array(0), 'IOC_ERR_PAYLOAD_JSON', ''],
    ['invalid UTF-8 (lone continuation byte)', Buffer.from([0x7b, 0x80, 0x7d]), 'IOC_ERR_PAYLOAD_ENCODING', ''],
    ['invalid UTF-8 (overlong "/")', Buffer.from([0x22, 0xc0, 0xaf, 0x22]), 'IOC_ERR_PAYLOAD_ENCODING', ''],
    ['invalid UTF-8 (encoded surrogate)', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 'IOC_ERR_PAYLOAD_ENCODING', ''],
    ['string with a lone surrogate', '{"seq":1,"x":"\uD800"}', 'IOC_ERR_PAYLOAD_ENCODING', ''],
    ['null', 'null', 'IOC_ERR_PAYLOAD_SCHEMA', ''],
    ['array', '[]', 'IOC_ERR_PAYLOAD_SCHEMA', ''],
    ['string', '"str"', 'IOC_ERR_PAYLOAD_SCHEMA', ''],
    ['truncated JSON', EXAMPLE.slice(0, 60), 'IOC_ERR_PAYLOAD_JSON', ''],
    ['NaN or Infinity via 1e999', batchWith(reading({ value: '1e999' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/value'],
    ['NaN literal', batchWith(reading({ value: 'NaN' })), 'IOC_ERR_PAYLOAD_JSON', ''],
    ['negative seq', batchWith(reading({}), '-1'), 'IOC_ERR_PAYLOAD_SCHEMA', '/seq'],
    ['float seq', batchWith(reading({}), '1.5'), 'IOC_ERR_PAYLOAD_SCHEMA', '/seq'],
    ['seq beyond 2^53-1', batchWith(reading({}), '9007199254740992'), 'IOC_ERR_PAYLOAD_SCHEMA', '/seq'],
    ['missing seq', `{"readings":[${reading({})}]}`, 'IOC_ERR_PAYLOAD_SCHEMA', '/seq'],
    ['missing readings', '{"seq":1}', 'IOC_ERR_PAYLOAD_SCHEMA', '/readings'],
    ['no readings', batchWith(''), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings'],
    ['float ts', batchWith(reading({ ts: '1764064800000.5' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/ts'],
    ['ts in seconds', batchWith(reading({ ts: '1764064800' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/ts'],
    ['ts in 2100', batchWith(reading({ ts: String(Date.UTC(2100, 0, 1)) })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/ts'],
    ['ts as ISO string', batchWith(reading({ ts: '"2025-11-25T10:00:00Z"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/ts'],
    ['string value', batchWith(reading({ value: '"42.1"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/value'],
    ['null value', batchWith(reading({ value: 'null' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/value'],
    ['unknown quality', batchWith(reading({ quality: '"ok"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/quality'],
    ['historical not boolean', `{"seq":1,"readings":[${reading({})}],"historical":"yes"}`, 'IOC_ERR_PAYLOAD_SCHEMA', '/historical'],
    ['reading not an object', batchWith(`${reading({})},42`), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/1'],
    ['missing sensor in 3rd reading', batchWith([reading({}), reading({}), reading({ sensor: 'OMIT' })].join(',')), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/2/sensor'],
    ['5001 readings of realistic size', batchWith(Array(5001).fill(reading({})).join(',')), 'IOC_ERR_PAYLOAD_TOO_LARGE', ''],
    ['5001 empty readings (first error wins)', batchWith(Array(5001).fill('{}').join(',')), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/sensor'],
    ['300 KiB payload', `{"seq":1,"pad":"${'x'.repeat(300 * 1024)}","readings":[]}`, 'IOC_ERR_PAYLOAD_TOO_LARGE', ''],
    ['300 KiB of invalid bytes', Buffer.alloc(300 * 1024, 0xff), 'IOC_ERR_PAYLOAD_TOO_LARGE', ''],
    ['unknown metric', batchWith([reading({}), reading({ metric: '"pm3"' })].join(',')), 'IOC_ERR_UNKNOWN_METRIC', '/readings/1/metric'],
    ['metric breaking the id rule', batchWith(reading({ metric: '"PM2.5"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/metric'],
    ['bad sensor id', batchWith(reading({ sensor: '"PM 01"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/sensor'],
    ['sensor id with a slash', batchWith(reading({ sensor: '"a/b"' })), 'IOC_ERR_PAYLOAD_SCHEMA', '/readings/0/sensor'],
    ['inherited property as metric', batchWith(reading({ metric: '"constructor"' })), 'IOC_ERR_UNKNOWN_METRIC', '/readings/0/metric'],
  ];

  it.each(table)('%s', (_what, payload, code, path) => {
    const error = failure(decodeTelemetry(payload));
    expect(error.code).toBe(code);
    expect(error.path).toBe(path);
    expect(error.message.startsWith(path === '' ? 'payload:' : `${path}:`)).toBe(true);
  });

  it('names the field and what was expected', () => {
    expect(failure(decodeTelemetry(batchWith(reading({ ts: '1.5' })))).message).toBe(
      '/readings/0/ts: must be an integer (epoch milliseconds)',
    );
    expect(failure(decodeTelemetry(batchWith(reading({ value: '1e999' })))).message).toBe(
      "/readings/0/value: must be a finite number (in the metric's unit)",
    );
    expect(failure(decodeTelemetry(batchWith(reading({ metric: '"pm3"' })))).message).toBe(
      '/readings/0/metric: "pm3" is not in the metric catalogue',
    );
    expect(failure(decodeTelemetry(batchWith(reading({ sensor: 'OMIT' })))).message).toBe(
      '/readings/0/sensor: is required (sensor id)',
    );
    expect(failure(decodeTelemetry(Buffer.alloc(MAX_PAYLOAD_BYTES + 1))).message).toContain(String(MAX_PAYLOAD_BYTES));
  });

  it('accepts exactly MAX_PAYLOAD_BYTES and refuses one byte more', () => {
    const base = batchWith(reading({}));
    const padTo = (size: number): string => `{"pad":"${'x'.repeat(size - base.length - 9)}",${base.slice(1)}`;
    expect(Buffer.byteLength(padTo(MAX_PAYLOAD_BYTES))).toBe(MAX_PAYLOAD_BYTES);
    expect(decoded(padTo(MAX_PAYLOAD_BYTES)).seq).toBe(1);
    expect(failure(decodeTelemetry(padTo(MAX_PAYLOAD_BYTES + 1))).code).toBe('IOC_ERR_PAYLOAD_TOO_LARGE');
  });
});

/** mulberry32: small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decodeTelemetry: randomized garbage', () => {
  it('never throws on 1000 random byte strings and always fails with a known code', () => {
    const random = prng(0x10c);
    const codes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
      const result = decodeTelemetry(bytes);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(isErrorCode(result.error.code)).toBe(true);
        codes.add(result.error.code);
      }
    }
    expect(codes).toContain('IOC_ERR_PAYLOAD_ENCODING');
  });

  it('never throws on 1000 mutations of a valid payload; what it accepts re-encodes to an equal batch', () => {
    const random = prng(42);
    const valid = Buffer.from(EXAMPLE);
    let accepted = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(valid);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const result = decodeTelemetry(bytes);
      if (!result.ok) {
        expect(isErrorCode(result.error.code)).toBe(true);
        continue;
      }
      accepted++;
      expect(decoded(encodeTelemetry(result.value))).toEqual(result.value);
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('encodeTelemetry', () => {
  const readings: ReadingInput[] = [
    { sensor: 'pm-01', metric: 'pm25', ts: TS, value: 42.1, quality: 'good' },
    { sensor: 'pm-01', metric: 'pm10', ts: TS, value: 61 },
    { sensor: 'th-01', metric: 'temperature', ts: TS + 1000, value: -2.5, quality: 'uncertain' },
  ];

  it('writes compact JSON: no quality when good, no historical when false, nothing else', () => {
    const extra = { ...readings[0], note: 'dropped' } as ReadingInput;
    expect(JSON.parse(encodeTelemetry({ seq: 3, readings: [extra], historical: false }).toString('utf8'))).toEqual({
      seq: 3,
      readings: [{ sensor: 'pm-01', metric: 'pm25', ts: TS, value: 42.1 }],
    });
  });

  it('round-trips through decodeTelemetry', () => {
    expect(decoded(encodeTelemetry({ seq: 9, readings, historical: true }))).toEqual({
      seq: 9,
      readings: readings.map((r) => ({ quality: 'good', ...r })),
      historical: true,
    });
  });

  it('throws the code and path the decoder would report, instead of publishing a bad batch', () => {
    const at = (patch: Partial<ReadingInput>): unknown =>
      thrown(() => encodeTelemetry({ seq: 1, readings: [readings[0] as ReadingInput, { ...readings[1], ...patch } as ReadingInput] }));
    expect(at({ value: Number.NaN })).toMatchObject({ name: 'IocError', code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/readings/1/value' });
    expect(at({ ts: 1.5 })).toMatchObject({ code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/readings/1/ts' });
    expect(at({ metric: 'pm3' })).toMatchObject({ code: 'IOC_ERR_UNKNOWN_METRIC', path: '/readings/1/metric' });
    expect(thrown(() => encodeTelemetry({ seq: -1, readings }))).toMatchObject({ code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/seq' });
    expect(thrown(() => encodeTelemetry({ seq: 1, readings: [] }))).toMatchObject({ path: '/readings' });
  });

  it('refuses more than 5000 readings, and a batch over the byte cap, so the caller splits it', () => {
    const many = (n: number): ReadingInput[] =>
      Array.from({ length: n }, (_, i) => ({ sensor: 'pm-01', metric: 'pm25', ts: TS + i, value: 42.1 }));
    expect(thrown(() => encodeTelemetry({ seq: 1, readings: many(5001) }))).toMatchObject({
      code: 'IOC_ERR_PAYLOAD_SCHEMA',
      path: '/readings',
      message: '/readings: must have at most 5000 items (readings of this message)',
    });
    expect(thrown(() => encodeTelemetry({ seq: 1, readings: many(4000) }))).toMatchObject({
      code: 'IOC_ERR_PAYLOAD_TOO_LARGE',
      path: '',
    });
    expect(encodeTelemetry({ seq: 1, readings: many(2500) }).byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });
});

describe('validateReading', () => {
  it('accepts a good reading and names the problem of a bad one, relative to the reading', () => {
    expect(validateReading({ sensor: 'pm-01', metric: 'pm25', ts: TS, value: 1 })).toBeUndefined();
    expect(validateReading({ sensor: 'pm-01', metric: 'pm25', ts: TS, value: Infinity })).toMatchObject({
      code: 'IOC_ERR_PAYLOAD_SCHEMA',
      path: '/value',
    });
    expect(validateReading({ sensor: 'pm-01', metric: 'pm25', ts: TS / 1000, value: 1 })).toMatchObject({ path: '/ts' });
    expect(validateReading({ sensor: 'pm-01', metric: 'voc', ts: TS, value: 1 })).toMatchObject({
      code: 'IOC_ERR_UNKNOWN_METRIC',
      path: '/metric',
    });
  });
});
