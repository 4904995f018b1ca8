import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSds011Config } from './config.js';

const minimal = { driver: 'sds011', id: 'sds-1', port: '/dev/ttyUSB0', sensor: 'hn-hoankiem-01' };

function errorOf(raw: unknown): { code?: unknown; message: string } {
  try {
    parseSds011Config(raw, 'inputs[1]');
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected parseSds011Config to throw');
}

describe('parseSds011Config', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = parseSds011Config(minimal, 'inputs[1]');
    expect(config).toEqual({
      ...minimal,
      mode: 'active',
      intervalMs: 1000,
      workingPeriodMin: 0,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps explicit values', () => {
    expect(parseSds011Config({ ...minimal, mode: 'query', intervalMs: 60_000 }, 'x')).toMatchObject({ mode: 'query', intervalMs: 60_000 });
    expect(parseSds011Config({ ...minimal, workingPeriodMin: 5 }, 'x')).toMatchObject({ mode: 'active', workingPeriodMin: 5 });
  });

  it.each([
    [{ ...minimal, port: 3 }, 'inputs[1].port: must be a string'],
    [{ ...minimal, port: undefined }, 'inputs[1].port: is required'],
    [{ ...minimal, sensor: 'Hoàn Kiếm 01' }, 'inputs[1].sensor: "Hoàn Kiếm 01" is not a valid id'],
    [{ ...minimal, id: '-sds' }, 'inputs[1].id: "-sds" is not a valid id'],
    [{ ...minimal, mode: 'passive' }, "inputs[1].mode: must be one of 'active', 'query'"],
    [{ ...minimal, intervalMs: 1.5 }, 'inputs[1].intervalMs: must be an integer'],
    [{ ...minimal, intervalMs: 500 }, 'inputs[1].intervalMs: must be between 1000 and 3600000'],
    [{ ...minimal, workingPeriodMin: 31 }, 'inputs[1].workingPeriodMin: must be between 0 and 30'],
    [{ ...minimal, mode: 'query', workingPeriodMin: 5 }, 'inputs[1].workingPeriodMin: must be 0 in query mode'],
    [{ ...minimal, calibration: {} }, 'inputs[1].calibration: unknown field'],
    [{ ...minimal, driver: 'pms5003' }, "inputs[1].driver: must be 'sds011'"],
    [{ ...minimal, reconnectMinMs: 5000, reconnectMaxMs: 1000 }, 'inputs[1].reconnectMaxMs: must be at least'],
    ['sds011', 'inputs[1]: must be an object'],
  ])('rejects %j naming the path', (raw, message) => {
    const err = errorOf(raw);
    expect(err.code).toBe('IOC_ERR_CONFIG');
    expect(err.message).toContain(message);
  });
});

describe('sample.jsonc', () => {
  const text = readFileSync(new URL('./sample.jsonc', import.meta.url), 'utf8');
  /** Drops comment lines; with `uncomment`, first turns the commented-out `// , "field": value` lines into JSON. */
  const parseSample = (uncomment: boolean): unknown =>
    JSON.parse(
      text
        .split('\n')
        .map((line) => (uncomment ? line.replace(/^\s*\/\/ (, ".*)$/, '$1') : line))
        .filter((line) => !line.trim().startsWith('//'))
        .join('\n'),
    );

  it('is a valid config, and every commented field shows its default', () => {
    const plain = parseSds011Config(parseSample(false), 'sample');
    const everyField = parseSample(true) as Record<string, unknown>;
    expect(Object.keys(everyField).length).toBeGreaterThan(Object.keys(parseSample(false) as object).length);
    expect(parseSds011Config(everyField, 'sample')).toEqual(plain);
    expect(Object.keys(plain).sort()).toEqual(Object.keys(everyField).sort()); // no field left undocumented
  });
});
