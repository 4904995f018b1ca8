import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DriverContext, DriverLogger } from '../driver.js';
import { drivers } from './index.js';

describe('driver registry', () => {
  it('lists each driver under the name its config uses', () => {
    for (const [key, factory] of Object.entries(drivers)) expect(factory.name).toBe(key);
    expect(Object.keys(drivers)).toContain('pms5003');
  });

  it('creates an instance from a validated config without touching the port', async () => {
    const log: DriverLogger = pino({ enabled: false }); // a pino logger is a DriverLogger
    const ctx: DriverContext = { sink: () => undefined, log, now: () => Date.now() };
    const config = drivers.pms5003.parseConfig(
      { driver: 'pms5003', id: 'pms-1', port: '/dev/does-not-exist', sensor: 's1' },
      'inputs[0]',
    );
    const driver = drivers.pms5003.create(config, ctx);
    expect(driver.id).toBe('pms-1');
    expect(driver.stats()).toMatchObject({ connected: 0, opens: 0, openErrors: 0, framesOk: 0 });
    await driver.stop(); // stop before start is harmless
  });
});
