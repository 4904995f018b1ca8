import { describe, expect, it } from 'vitest';
import { defaultRules } from './defaults.js';
import { RuleEngine } from './engine.js';
import { CTX, FakeClock, harness, HOUR, MIN, reading, summary, T0 } from './testing.js';

const GW = { site: 'ha-nam', gateway: 'gw-01', district: 'phu-ly' };

describe('rolling_mean (QCVN limits on means)', () => {
  const rule = { id: 'no2-1h', kind: 'rolling_mean', severity: 'warning', metric: 'no2', window: '1h', limit: 200, clear: 180 };

  it('judges nothing until the data span 75 % of the window, then opens on the mean, not on single values', () => {
    const h = harness([rule]);
    // 250 every minute: the mean is 250 from the start, but the window is judged only once it spans 45 min.
    expect(h.series('no2', Array.from({ length: 45 }, () => 250), T0)).toEqual([]);
    expect(h.feed('no2', 250, T0 + 45 * MIN)).toMatchObject([{ type: 'opened', cause: { observed: 250 } }]);
  });

  it('a single spike does not open it; the mean clears only at or below 180', () => {
    const h = harness([rule]);
    const base = Array.from({ length: 60 }, (_, i) => (i === 30 ? 2000 : 150));
    expect(h.series('no2', base, T0)).toEqual([]); // the mean peaks at (45·150 + 2000)/46 ≈ 190 < 200
    // Now raise it to 260 for 40 minutes: the trailing mean crosses 200 on the way.
    const up = h.series('no2', Array.from({ length: 40 }, () => 260), T0 + 60 * MIN);
    expect(summary(up)).toEqual(['opened a1']);
    const opened = up[0];
    expect(opened?.cause.type === 'reading' && opened.cause.observed).toBeGreaterThan(200);
    // Falling back to 150: the mean passes through the 180..200 band (stays open), then ≤ 180 resolves.
    const down = h.series('no2', Array.from({ length: 60 }, () => 150), T0 + 100 * MIN);
    expect(summary(down)).toEqual(['resolved a1']);
    const resolved = down[0];
    expect(resolved?.cause.type === 'reading' && resolved.cause.observed).toBeLessThanOrEqual(180);
  });

  it('the default PM2.5 24 h rule: 45 µg/m³ in 2026 (50 before), opens after 18 h of a 50 µg/m³ day', () => {
    const on = T0;
    const rules = defaultRules(on);
    expect(rules.find((r) => r.id === 'qcvn-pm25-24h')).toMatchObject({ limit: 45, clear: 40.5, window: '24h' });
    expect(defaultRules(Date.UTC(2025, 11, 31, 12)).find((r) => r.id === 'qcvn-pm25-24h')).toMatchObject({ limit: 50 });
    const clock = new FakeClock();
    const engine = new RuleEngine({ rules, clock, newId: () => 'x' });
    const out = [];
    for (let m = 0; m <= 24 * 60; m += 5) {
      clock.set(T0 + m * MIN);
      out.push(...engine.evaluate(reading('pm25', 50, T0 + m * MIN), CTX).map((t) => ({ ...t, m })));
    }
    const pm = out.filter((t) => t.alert.ruleId === 'qcvn-pm25-24h');
    expect(pm.map((t) => [t.type, t.m])).toEqual([['opened', 18 * 60]]);
  });
});

describe('rate_of_change', () => {
  it('opens when the value rises by more than the limit within the window, resolves when it levels off', () => {
    const h = harness([{ id: 'pm-jump', kind: 'rate_of_change', severity: 'info', metric: 'pm25', windowMs: 10 * MIN, limit: 50, direction: 'rise' }]);
    expect(h.series('pm25', [20, 22, 25, 30, 60], T0)).toEqual([]); // +40
    const [opened] = h.feed('pm25', 80, T0 + 5 * MIN); // +60 over 5 min
    expect(opened).toMatchObject({ type: 'opened', cause: { observed: 60 } });
    // A fall is not a rise; 10 minutes of 80 later the change within the window is 0.
    const later = h.series('pm25', Array.from({ length: 12 }, () => 80), T0 + 6 * MIN);
    expect(summary(later)).toEqual(['resolved a1']);
  });

  it('direction fall and either', () => {
    const fall = harness([{ id: 'r', kind: 'rate_of_change', severity: 'info', metric: 'pm25', windowMs: 10 * MIN, limit: 50, direction: 'fall' }]);
    expect(fall.series('pm25', [200, 100], T0)).toMatchObject([{ type: 'opened', cause: { observed: -100 } }]);
    const either = harness([{ id: 'r', kind: 'rate_of_change', severity: 'info', metric: 'pm25', windowMs: 10 * MIN, limit: 50 }]);
    expect(summary(either.series('pm25', [200, 100], T0))).toEqual(['opened a1']);
  });
});

describe('stuck', () => {
  it('opens on the Nth identical reading in a row and resolves on a different one', () => {
    const h = harness([{ id: 'frozen', kind: 'stuck', severity: 'warning', metric: 'pm25', count: 5 }]);
    expect(h.series('pm25', [12.3, 12.3, 12.3, 12.3], T0)).toEqual([]);
    expect(h.feed('pm25', 12.3, T0 + 4 * MIN)).toMatchObject([{ type: 'opened', cause: { observed: 5 } }]);
    expect(h.feed('pm25', 12.3, T0 + 5 * MIN)).toEqual([]);
    expect(summary(h.feed('pm25', 12.4, T0 + 6 * MIN))).toEqual(['resolved a1']);
  });

  it('a bad reading in between neither counts nor breaks the run', () => {
    const h = harness([{ id: 'frozen', kind: 'stuck', severity: 'warning', metric: 'pm25', count: 3 }]);
    h.series('pm25', [7, 7], T0);
    expect(h.feed('pm25', 99, T0 + 2 * MIN, 'pm-01', 'bad')).toEqual([]);
    expect(summary(h.feed('pm25', 7, T0 + 3 * MIN))).toEqual(['opened a1']);
  });
});

describe('no_data (sensor silent)', () => {
  const rule = { id: 'silent', kind: 'no_data', severity: 'warning', silenceMs: 15 * MIN };

  it('opens after 15 min without any reading from the sensor, resolves on the next one (even a bad one)', () => {
    const h = harness([rule]);
    h.feed('pm25', 30, T0);
    h.feed('pm10', 40, T0 + MIN);
    expect(h.tick(T0 + 16 * MIN - 1)).toEqual([]);
    const [opened] = h.tick(T0 + 16 * MIN);
    expect(opened).toMatchObject({
      type: 'opened',
      alert: { subject: { site: 'ha-nam', gateway: 'gw-01', sensor: 'pm-01' }, since: T0 + 16 * MIN },
      cause: { type: 'timer', observed: 15 * MIN },
    });
    expect(opened?.alert.subject).not.toHaveProperty('metric');
    expect(h.tick(T0 + 60 * MIN)).toEqual([]); // still silent: nothing new
    expect(h.feed('pm25', 0, T0 + 61 * MIN, 'pm-01', 'bad')).toMatchObject([{ type: 'resolved', cause: { type: 'reading' } }]);
  });

  it('with a metric, watches that metric of each sensor', () => {
    const h = harness([{ ...rule, metric: 'pm25' }]);
    h.feed('pm25', 30, T0);
    h.feed('pm10', 40, T0 + 10 * MIN); // another metric does not count
    expect(h.tick(T0 + 15 * MIN)).toMatchObject([{ type: 'opened', alert: { subject: { metric: 'pm25' } } }]);
  });
});

describe('gateway_offline', () => {
  const rule = { id: 'gw-off', kind: 'gateway_offline', severity: 'critical', silenceMs: 5 * MIN, forMs: MIN };

  it('last will held for forMs opens it; the birth message resolves it', () => {
    const h = harness([rule]);
    h.clock.set(T0);
    expect(h.engine.gatewayState(GW, { online: true })).toEqual([]);
    h.clock.set(T0 + MIN);
    expect(h.engine.gatewayState(GW, { online: false })).toEqual([]);
    expect(h.tick(T0 + 2 * MIN - 1)).toEqual([]);
    expect(h.tick(T0 + 2 * MIN)).toMatchObject([{ type: 'opened', alert: { subject: { site: 'ha-nam', gateway: 'gw-01' }, severity: 'critical' }, cause: { type: 'state', online: false } }]);
    h.clock.set(T0 + 3 * MIN);
    expect(h.engine.gatewayState(GW, { online: true, outbox: { dropped: 0 } })).toMatchObject([{ type: 'resolved', cause: { type: 'state', online: true } }]);
  });

  it('a reconnect within forMs opens nothing', () => {
    const h = harness([rule]);
    h.clock.set(T0);
    h.engine.gatewayState(GW, { online: false });
    h.clock.set(T0 + 30_000);
    h.engine.gatewayState(GW, { online: true });
    expect(h.tick(T0 + 5 * MIN)).toEqual([]); // within silenceMs of the birth: nothing
  });

  it('silence: no telemetry for silenceMs (+ forMs) opens it; a reading resolves it', () => {
    const h = harness([rule]);
    h.feed('pm25', 30, T0);
    expect(h.tick(T0 + 6 * MIN - 1)).toEqual([]);
    expect(h.tick(T0 + 6 * MIN)).toMatchObject([{ type: 'opened', cause: { type: 'timer' } }]);
    expect(h.feed('pm25', 30, T0 + 7 * MIN)).toMatchObject([{ type: 'resolved' }]);
  });
});

describe('camera_offline', () => {
  it('opens on the 3rd camera_online 0 in a row, resolves on a 1', () => {
    const h = harness([{ id: 'cam', kind: 'camera_offline', severity: 'warning', missed: 3 }]);
    const cam = (v: number, m: number) => h.feed('camera_online', v, T0 + m * MIN, 'cam-01');
    expect([...cam(1, 0), ...cam(0, 1), ...cam(0, 2), ...cam(1, 3), ...cam(0, 4), ...cam(0, 5)]).toEqual([]);
    expect(cam(0, 6)).toMatchObject([{ type: 'opened', alert: { subject: { sensor: 'cam-01', metric: 'camera_online' } }, cause: { observed: 3 } }]);
    expect(cam(1, 7)).toMatchObject([{ type: 'resolved' }]);
  });
});

describe('outbox_drops', () => {
  it('opens when a gateway reports new drops, ignores repeats of the same count, resolves after quietMs', () => {
    const h = harness([{ id: 'drops', kind: 'outbox_drops', severity: 'warning', minDrops: 1, quietMs: HOUR }]);
    const state = (m: number, dropped: number) => {
      h.clock.set(T0 + m * MIN);
      return h.engine.gatewayState(GW, { online: true, outbox: { pending: 0, dropped } });
    };
    expect(state(0, 0)).toEqual([]);
    expect(state(1, 12)).toMatchObject([{ type: 'opened', cause: { type: 'state', dropped: 12, observed: 12 } }]);
    expect(state(2, 12)).toEqual([]);
    expect(h.tick(T0 + 61 * MIN - 1)).toEqual([]);
    expect(h.tick(T0 + 61 * MIN)).toMatchObject([{ type: 'resolved', cause: { type: 'timer' } }]);
    // The agent restarted: its counter starts again, 3 < 12 means 3 new drops.
    expect(state(70, 3)).toMatchObject([{ type: 'opened', alert: { id: 'a2' }, cause: { observed: 3 } }]);
  });
});

describe('aqi_category', () => {
  it('opens at Kém (101) or worse at a site, resolves below; null and stale hours change nothing', () => {
    const h = harness([{ id: 'aqi-poor', kind: 'aqi_category', severity: 'warning', level: 3 }]);
    const aqi = (hour: number, value: number | null) => {
      h.clock.set(T0 + (hour + 1) * HOUR);
      return h.engine.siteAqi({ site: 'ha-nam', district: 'phu-ly' }, { ts: T0 + hour * HOUR, aqi: value });
    };
    expect(aqi(0, 100)).toEqual([]);
    expect(aqi(1, 101)).toMatchObject([{ type: 'opened', alert: { subject: { site: 'ha-nam' } }, cause: { type: 'aqi', aqi: 101 } }]);
    expect(aqi(2, 180)).toEqual([]);
    expect(aqi(3, null)).toEqual([]);
    expect(h.engine.siteAqi({ site: 'ha-nam' }, { ts: T0 + HOUR, aqi: 20 })).toEqual([]); // an older hour
    expect(aqi(4, 60)).toMatchObject([{ type: 'resolved', cause: { aqi: 60 } }]);
  });
});
