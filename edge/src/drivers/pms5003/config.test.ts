import { describe, expect, it } from 'vitest';
import { parsePms5003Config } from './config.js';

const minimal = { driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'hn-hoankiem-01' };

function errorOf(raw: unknown): { code?: unknown; message: string } {
  try {
    parsePms5003Config(raw, 'inputs[0]');
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected parsePms5003Config to throw');
}

describe('parsePms5003Config', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = parsePms5003Config(minimal, 'inputs[0]');
    expect(config).toEqual({
      ...minimal,
      mode: 'active',
      intervalMs: 1000,
      emitCounts: true,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps explicit values', () => {
    const config = parsePms5003Config({ ...minimal, mode: 'passive', intervalMs: 60_000, emitCounts: false }, 'x');
    expect(config).toMatchObject({ mode: 'passive', intervalMs: 60_000, emitCounts: false });
  });

  it.each([
    [{ ...minimal, port: 3 }, 'inputs[0].port: must be a string'],
    [{ ...minimal, port: undefined }, 'inputs[0].port: is required'],
    [{ ...minimal, sensor: ' ' }, 'inputs[0].sensor: must not be empty'],
    [{ ...minimal, mode: 'Active' }, "inputs[0].mode: must be one of 'active', 'passive'"],
    [{ ...minimal, intervalMs: 1.5 }, 'inputs[0].intervalMs: must be an integer'],
    [{ ...minimal, intervalMs: 50 }, 'inputs[0].intervalMs: must be between 200 and 3600000'],
    [{ ...minimal, emitCounts: 'yes' }, 'inputs[0].emitCounts: must be true or false'],
    [{ ...minimal, intervalMS: 500 }, 'inputs[0].intervalMS: unknown field'],
    [{ ...minimal, driver: 'sds011' }, "inputs[0].driver: must be 'pms5003'"],
    [{ ...minimal, reconnectMinMs: 5000, reconnectMaxMs: 1000 }, 'inputs[0].reconnectMaxMs: must be at least'],
    [[minimal], 'inputs[0]: must be an object'],
    [null, 'inputs[0]: must be an object'],
  ])('rejects %j naming the path', (raw, message) => {
    const err = errorOf(raw);
    expect(err.code).toBe('IOC_ERR_CONFIG');
    expect(err.message).toContain(message);
  });
});
