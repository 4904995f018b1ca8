import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { defaultRules, PM25_24H_LIMIT_CHANGE } from './defaults.js';
import { parseRule, parseRules, RULE_KINDS, RuleSchema } from './schema.js';

const threshold = { id: 'pm25-high', kind: 'threshold', severity: 'warning', metric: 'pm25', direction: 'above', value: 150 };

describe('parseRule', () => {
  it('fills defaults and freezes the result', () => {
    const rule = parseRule(threshold);
    expect(rule).toEqual({ ...threshold, enabled: true, scope: {}, clearHoldMs: 0, forMs: 0 });
    expect(Object.isFrozen(rule)).toBe(true);
    expect(Object.isFrozen(rule.scope)).toBe(true);
  });

  it.each([
    [{ ...threshold, kind: 'magic' }, 'kind', 'must be one of'],
    [{ ...threshold, severity: 'panic' }, 'severity', ''],
    [{ ...threshold, value: '150' }, 'value', ''],
    [{ ...threshold, forMs: -1 }, 'forMs', ''],
    [{ ...threshold, forMs: 1.5 }, 'forMs', ''],
    [Object.fromEntries(Object.entries(threshold).filter(([k]) => k !== 'metric')), 'metric', 'is required'],
    [{ ...threshold, scope: { site: 'Hà Nam' } }, 'scope.site', ''],
    [{ ...threshold, scope: { town: 'x' } }, 'scope.town', 'is not a known property'],
    [{ ...threshold, clear: 160 }, 'clear', 'must be <= value'],
    [{ ...threshold, direction: 'below', clear: 140 }, 'clear', 'must be >= value'],
    [{ id: 'm', kind: 'rolling_mean', severity: 'info', metric: 'no2', window: '2h', limit: 200 }, 'window', ''],
    [{ id: 'm', kind: 'rolling_mean', severity: 'info', metric: 'no2', window: '1h', limit: 200, clear: 201 }, 'clear', 'must be <= limit'],
    [{ id: 'r', kind: 'rate_of_change', severity: 'info', metric: 'pm25', limit: 0 }, 'limit', ''],
    [{ id: 's', kind: 'stuck', severity: 'info', metric: 'pm25', count: 1 }, 'count', ''],
    [{ id: 'a', kind: 'aqi_category', severity: 'info', level: 7 }, 'level', ''],
    [{ id: 'a', kind: 'aqi_category', severity: 'info', level: 3, extra: 1 }, 'extra', 'is not a known property'],
  ])('refuses %j at path %j', (raw, path, message) => {
    let caught: unknown;
    try {
      parseRule(raw, 'rules[2]');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'IOC_ERR_RULE_INVALID', path: ['rules[2]', path].filter(Boolean).join('.') });
    expect((caught as Error).message).toContain(message);
  });

  it.each([null, 'rule', [threshold]])('refuses %j as a whole', (raw) => {
    expect(() => parseRule(raw)).toThrow(expect.objectContaining({ code: 'IOC_ERR_RULE_INVALID' }));
  });

  it('parseRules refuses duplicate ids and names the index', () => {
    expect(() => parseRules([threshold, { ...threshold, value: 1 }])).toThrow(expect.objectContaining({ path: 'rules[1].id' }));
    expect(parseRules([threshold, { ...threshold, id: 'b' }]).map((r) => r.id)).toEqual(['pm25-high', 'b']);
  });

  it('RuleSchema (for the API) accepts every parsed rule and refuses an unknown kind', () => {
    const check = Compile(RuleSchema);
    for (const rule of defaultRules()) expect(check.Check(rule), rule.id).toBe(true);
    expect(check.Check({ ...parseRule(threshold), kind: 'magic' })).toBe(false);
  });
});

describe('defaultRules', () => {
  it('ships QCVN 05:2023 limits, VN_AQI ≥ Kém, camera, gateway, silence and drops rules, all valid', () => {
    const rules = defaultRules(Date.UTC(2026, 10, 26));
    const byId = new Map(rules.map((r) => [r.id, r]));
    const limit = (id: string) => {
      const r = byId.get(id);
      return r?.kind === 'rolling_mean' ? [r.window, r.limit] : undefined;
    };
    expect(limit('qcvn-pm25-24h')).toEqual(['24h', 45]);
    expect(limit('qcvn-pm10-24h')).toEqual(['24h', 100]);
    expect(limit('qcvn-no2-1h')).toEqual(['1h', 200]);
    expect(limit('qcvn-no2-24h')).toEqual(['24h', 100]);
    expect(limit('qcvn-so2-1h')).toEqual(['1h', 350]);
    expect(limit('qcvn-so2-24h')).toEqual(['24h', 125]);
    expect(limit('qcvn-co-1h')).toEqual(['1h', 30_000]);
    expect(limit('qcvn-co-8h')).toEqual(['8h', 10_000]);
    expect(limit('qcvn-o3-1h')).toEqual(['1h', 200]);
    expect(limit('qcvn-o3-8h')).toEqual(['8h', 120]);
    expect(limit('qcvn-tsp-1h')).toEqual(['1h', 300]);
    expect(limit('qcvn-tsp-24h')).toEqual(['24h', 200]);
    expect(byId.get('vn-aqi-poor')).toMatchObject({ kind: 'aqi_category', level: 3 });
    expect(byId.get('camera-offline')).toMatchObject({ kind: 'camera_offline' });
    expect(byId.get('gateway-offline')).toMatchObject({ kind: 'gateway_offline', severity: 'critical' });
    expect(byId.get('sensor-silent')).toMatchObject({ kind: 'no_data', silenceMs: 15 * 60_000 });
    expect(new Set(rules.map((r) => r.kind))).toEqual(new Set(RULE_KINDS.filter((k) => !['threshold', 'rate_of_change', 'stuck'].includes(k))));
  });

  it('PM2.5: 50 µg/m³ until 2025-12-31 local, 45 from 2026-01-01 00:00 +07:00', () => {
    const pm25 = (on: number) => defaultRules(on).find((r) => r.id === 'qcvn-pm25-24h');
    expect(PM25_24H_LIMIT_CHANGE).toBe(Date.parse('2026-01-01T00:00:00+07:00'));
    expect(pm25(PM25_24H_LIMIT_CHANGE - 1)).toMatchObject({ limit: 50, clear: 45 });
    expect(pm25(PM25_24H_LIMIT_CHANGE)).toMatchObject({ limit: 45, clear: 40.5 });
  });
});
