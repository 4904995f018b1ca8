import { describe, expect, it } from 'vitest';
import { aggregateStatement, continuousQuery, latestStatement, quoteIdent, quoteString, selectStatement } from './influxql.js';

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

  it('builds aggregates from the right rollup: 1m and 1h as stored, 1d grouped from 1h with means weighted by count', () => {
    const q = { from: 0, to: 86_400_000, limit: 10, site: 'hue' };
    expect(aggregateStatement({ ...q, every: '1m', fn: 'max' }, 'ioc')).toBe(
      `SELECT "max" AS "value", "count", "gateway", "metric", "sensor", "site" FROM "ioc"."rollup_1m"."telemetry_1m" ` +
        `WHERE time >= 0ms AND time < 86400000ms AND "site" = 'hue' ORDER BY time ASC LIMIT 10`,
    );
    expect(aggregateStatement({ ...q, every: '1h', fn: 'mean' }, 'ioc')).toContain('FROM "ioc"."rollup_1h"."telemetry_1h"');
    expect(aggregateStatement({ ...q, every: '1d', fn: 'mean' }, 'ioc')).toBe(
      `SELECT sum("sum") / sum("count") AS "value", sum("count") AS "count" FROM "ioc"."rollup_1h"."telemetry_1h" ` +
        `WHERE time >= 0ms AND time < 86400000ms AND "site" = 'hue' ` +
        `GROUP BY time(1d), "gateway", "metric", "sensor", "site" fill(none) ORDER BY time ASC LIMIT 10`,
    );
    expect(aggregateStatement({ ...q, every: '1d', fn: 'min' }, 'ioc')).toContain('SELECT min("min") AS "value"');
  });

  it('refuses an aggregate function or width it does not know, rather than splicing it in', () => {
    const q = { from: 0, to: 1, limit: 1 };
    expect(() => aggregateStatement({ ...q, every: '1d', fn: 'sum) FROM x; --' as 'mean' }, 'ioc')).toThrow(RangeError);
    expect(() => aggregateStatement({ ...q, every: '2d' as '1d', fn: 'mean' }, 'ioc')).toThrow(RangeError);
  });

  it('builds the latest-per-series selector and the continuous queries', () => {
    expect(latestStatement({ gateway: 'gw-1' }, { database: 'ioc', retentionPolicy: 'raw' })).toBe(
      `SELECT last("value") AS "value", "q" FROM "ioc"."raw"."telemetry" WHERE "gateway" = 'gw-1' GROUP BY "gateway", "metric", "sensor", "site"`,
    );
    expect(continuousQuery('1m', { database: 'ioc', retentionPolicy: 'raw' }, '10m')).toBe(
      `CREATE CONTINUOUS QUERY "cq_telemetry_1m" ON "ioc" RESAMPLE EVERY 1m FOR 10m BEGIN ` +
        `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count", sum("value") AS "sum" ` +
        `INTO "ioc"."rollup_1m"."telemetry_1m" FROM "ioc"."raw"."telemetry" WHERE "q" < 2 GROUP BY time(1m), * END`,
    );
  });
});
