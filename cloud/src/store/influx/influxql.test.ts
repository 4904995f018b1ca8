import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteString, selectStatement } from './influxql.js';

describe('InfluxQL quoting', () => {
  it.each([
    [`pms-1`, `'pms-1'`],
    [`x' OR 1=1 --`, `'x\\' OR 1=1 --'`],
    [`a\\' OR ''='`, `'a\\\\\\' OR \\'\\'=\\''`],
    ['line\nbreak', `'line\\nbreak'`],
  ])('quotes string %j as %j', (raw, quoted) => {
    expect(quoteString(raw)).toBe(quoted);
  });

  it('refuses a carriage return, which InfluxQL cannot escape', () => {
    expect(() => quoteString('a\rb')).toThrow(RangeError);
  });

  it.each([
    ['ioc', '"ioc"'],
    ['my "db"', '"my \\"db\\""'],
    ['back\\slash', '"back\\\\slash"'],
  ])('quotes identifier %j as %j', (raw, quoted) => {
    expect(quoteIdent(raw)).toBe(quoted);
  });

  it('builds one SELECT whose only variable parts are quoted strings and integers', () => {
    expect(
      selectStatement({ from: 1000, to: 2000, limit: 5, sensor: `x' OR 1=1 --`, site: 'hue' }, { database: 'ioc', retentionPolicy: 'raw' }),
    ).toBe(
      `SELECT "value", "q", "gateway", "metric", "sensor", "site" FROM "ioc"."raw"."telemetry" ` +
        `WHERE time >= 1000ms AND time < 2000ms AND "sensor" = 'x\\' OR 1=1 --' AND "site" = 'hue' ORDER BY time ASC LIMIT 5`,
    );
  });

  it('refuses non-integer numbers', () => {
    expect(() => selectStatement({ from: 0.5, to: 1, limit: 1 }, { database: 'ioc', retentionPolicy: 'raw' })).toThrow(RangeError);
  });
});
