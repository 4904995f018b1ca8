import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Reading } from '@ioc/protocol';
import { Registry } from '../registry/registry.js';
import { AlertStore } from './store.js';
import { AlertHub } from './hub.js';
import { AlertService } from './service.js';

const T0 = Date.UTC(2026, 10, 26, 1, 0, 0);
let dir: string;
let registry: Registry;
let clock: number;
const open = () => {
  const hub = new AlertHub(new AlertStore(path.join(dir, 'alerts.db')));
  const service = AlertService.start({ hub, registry, log: pino({ level: 'silent' }), now: () => clock, tickMs: 3_600_000 });
  return { hub, service, close: () => { service.close(); hub.store.close(); } };
};
const pm25 = (ts: number, value: number): Reading => ({ sensor: 'pm-01', metric: 'pm25', ts, value, quality: 'good' });
const HIGH = { id: 'pm25-high', kind: 'threshold', metric: 'pm25', direction: 'above', value: 150, clear: 120, forMs: 600_000, severity: 'critical', label: { vi: 'PM2.5 rất cao', en: 'PM2.5 very high' } };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-alertsvc-'));
  registry = Registry.open(path.join(dir, 'registry.db'));
  registry.ensureSite('ha-nam-phu-ly', 'test');
  clock = T0;
});
afterEach(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AlertService', () => {
  it('seeds the default rules once, and keeps an operator’s empty rule set empty', () => {
    const a = open();
    expect(a.service.rules().map((r) => r.id)).toContain('qcvn-pm25-24h');
    a.service.setRules([], 'test');
    a.close();
    const b = open();
    expect(b.service.rules()).toEqual([]);
    b.close();
  });

  it('opens one alert for "above 150 for 10 min", with a message and the cause, and resolves below the clear level', () => {
    const a = open();
    a.service.setRules([HIGH], 'test');
    for (let i = 0; i <= 10; i++) a.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + i * 60_000, 180 + i)]);
    const active = a.hub.store.list({ state: 'active' });
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ ruleId: 'pm25-high', severity: 'critical', subject: { site: 'ha-nam-phu-ly', gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25' } });
    expect(active[0]!.message).toContain('PM2.5 rất cao / PM2.5 very high — ha-nam-phu-ly/gw-01/pm-01: opened');
    const history = a.hub.store.history(active[0]!.id);
    expect(history[0]?.cause).toEqual({ sensor: 'pm-01', metric: 'pm25', ts: T0 + 10 * 60_000, value: 190 });
    // Between clear (120) and trigger (150): stays open. Below 120: resolves.
    a.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + 11 * 60_000, 130)]);
    expect(a.hub.store.list({ state: 'active' })).toHaveLength(1);
    a.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + 12 * 60_000, 100)]);
    expect(a.hub.store.list({ state: 'active' })).toHaveLength(0);
    a.close();
  });

  it('resumes a pending duration after a restart', () => {
    const a = open();
    a.service.setRules([HIGH], 'test');
    for (let i = 0; i <= 6; i++) a.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + i * 60_000, 200)]);
    a.service.tick();
    a.close();
    expect(new AlertStore(path.join(dir, 'alerts.db')).list()).toEqual([]);
    const b = open();
    for (let i = 7; i <= 10; i++) b.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + i * 60_000, 200)]);
    expect(b.hub.store.list({ state: 'active' })).toHaveLength(1);
    b.close();
  });

  it('acknowledge goes through the engine and is stored with who and the note', () => {
    const a = open();
    a.service.setRules([HIGH], 'test');
    for (let i = 0; i <= 10; i++) a.service.onReadings('ha-nam-phu-ly', 'gw-01', [pm25(T0 + i * 60_000, 200)]);
    const id = a.hub.store.list({ state: 'open' })[0]!.id;
    a.service.acknowledge(id, 'api:officer', 'Đang xử lý');
    expect(a.hub.store.get(id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'api:officer', ackNote: 'Đang xử lý' });
    expect(() => a.service.acknowledge(id, 'api:officer', undefined)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^IOC_ERR_/) as unknown }) as Error);
    a.close();
  });
});
