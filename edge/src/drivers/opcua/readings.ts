import { END_TS_MS, MIN_TS_MS, type Quality, type Reading } from '@ioc/protocol';
import type { OpcuaSample } from './link.js';

/** Which clock a reading's ts came from: the device (SourceTimestamp), the server, or the agent. */
export type TimestampOrigin = 'source' | 'server' | 'agent';

/** What became of one data change. */
export interface SampleOutcome {
  /** The reading, or undefined when the value is not a finite number (counted, not emitted). */
  readonly reading: Reading | undefined;
  readonly quality: Quality;
  readonly tsFrom: TimestampOrigin;
}

/**
 * Quality of an OPC-UA StatusCode from its severity, the top two bits (Part 4 §7.39.2):
 * 00 Good → good, 01 Uncertain → uncertain, 10 and 11 Bad → bad.
 */
export function qualityOfStatus(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  if (severity === 0) return 'good';
  return severity === 1 ? 'uncertain' : 'bad';
}

/**
 * The sample's value as a finite number: numbers as they are, booleans as 0/1, 64-bit integers (node-opcua's
 * `[high, low]` pairs) when exactly representable. Undefined for anything else (strings, arrays, null, NaN, ±∞).
 */
export function numericValue(sample: Pick<OpcuaSample, 'value' | 'dataType' | 'isScalar'>): number | undefined {
  const { value } = sample;
  if (!sample.isScalar) return undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if ((sample.dataType === 'Int64' || sample.dataType === 'UInt64') && isWordPair(value)) {
    const [high, low] = value;
    const signedHigh = sample.dataType === 'Int64' && high >= 0x8000_0000 ? high - 0x1_0000_0000 : high;
    const result = signedHigh * 0x1_0000_0000 + low;
    return Number.isSafeInteger(result) ? result : undefined;
  }
  return undefined;
}

/** A timestamp the wire contract accepts (OPC-UA's null DateTime, 1601-01-01, or a 1970 device clock is not one). */
function usable(ts: number | undefined): ts is number {
  return ts !== undefined && Number.isInteger(ts) && ts >= MIN_TS_MS && ts < END_TS_MS;
}

/**
 * The reading of one data change: ts is the SourceTimestamp, else the ServerTimestamp, else `now()`;
 * quality comes from the StatusCode. A bad status still yields a reading when the server sent a value with it.
 */
export function sampleToReading(
  sample: OpcuaSample,
  node: { readonly sensor: string; readonly metric: string },
  now: () => number,
): SampleOutcome {
  const quality = qualityOfStatus(sample.statusCode);
  let tsFrom: TimestampOrigin = 'agent';
  let ts: number;
  if (usable(sample.sourceTs)) {
    tsFrom = 'source';
    ts = sample.sourceTs;
  } else if (usable(sample.serverTs)) {
    tsFrom = 'server';
    ts = sample.serverTs;
  } else {
    ts = now();
  }
  const value = numericValue(sample);
  const reading = value === undefined ? undefined : { sensor: node.sensor, metric: node.metric, ts, value, quality };
  return { reading, quality, tsFrom };
}

function isWordPair(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((word) => typeof word === 'number' && Number.isInteger(word) && word >= 0 && word <= 0xffff_ffff)
  );
}
