import { describe, expect, it } from 'vitest';
import type { EngineSnapshot } from './engine.js';
import { parseRule } from './schema.js';
import { harness, HOUR, MIN, summary, T0 } from './testing.js';

const above100 = { id: 'pm-high', kind: 'threshold', severity: 'warning', metric: 'pm25', direction: 'above', value: 100 };

describe('flapping', () => {
  const flap = { cycles: 3, windowMs: HOUR, stableMs: 30 * MIN };

  it('a value see-sawing around the threshold gives 3 alerts, the 3rd marked flapping, then one resolution once stable', () => {
    const h = harness([above100], { flap });
    // 150, 50, 150, 50, … every minute for an hour (minutes 0..60, ending on 150): 30 open/clear cycles.
    const seesaw = h.series('pm25', Array.from({ length: 61 }, (_, i) => (i % 2 === 0 ? 150 : 50)), T0);
    expect(summary(seesaw)).toEqual(['opened a1', 'resolved a1', 'opened a2', 'resolved a2', 'opened a3', 'flapping a3']);
    expect(seesaw.at(-1)).toMatchObject({ at: T0 + 5 * MIN, alert: { state: 'open', flapping: true } });
    expect(h.engine.alerts()).toMatchObject([{ id: 'a3', flapping: true }]);
    // Stable below for 30 min (from minute 61): resolved exactly then, on a reading or on the timer.
    expect(h.series('pm25', Array.from({ length: 30 }, () => 50), T0 + 61 * MIN)).toEqual([]); // minutes 61..90: 29 min
    expect(h.feed('pm25', 50, T0 + 91 * MIN)).toMatchObject([{ type: 'resolved', alert: { id: 'a3', flapping: true } }]);
  });

  it('cycles spread wider than the window are not flapping', () => {
    const h = harness([above100], { flap });
    const out = [0, 1, 40, 41, 80, 81, 120, 121].flatMap((m, i) => h.feed('pm25', i % 2 === 0 ? 150 : 50, T0 + m * MIN));
    expect(out.map((t) => t.type)).toEqual(['opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved']);
  });

  it('the minimum hold time alone absorbs short dips: clearHoldMs 5 min and a 1-minute see-saw → one alert', () => {
    const h = harness([{ ...above100, clearHoldMs: 5 * MIN }], { flap });
    const out = h.series('pm25', Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 150 : 50)), T0);
    expect(summary(out)).toEqual(['opened a1']);
  });
});

describe('re-notification of unacknowledged critical alerts', () => {
  it('every renotifyMs on tick, never per reading, and never once acknowledged', () => {
    const h = harness([{ ...above100, severity: 'critical' }], { renotifyMs: 30 * MIN });
    h.feed('pm25', 200, T0);
    // A reading every 10 s for 29 minutes: no re-notification from readings.
    const readings = h.series('pm25', Array.from({ length: 174 }, () => 200), T0 + 10_000, 10_000);
    expect(readings).toEqual([]);
    expect(h.tick(T0 + 30 * MIN - 1)).toEqual([]);
    expect(h.tick(T0 + 30 * MIN)).toMatchObject([{ type: 'renotify', alert: { id: 'a1', renotifications: 1, notifiedAt: T0 + 30 * MIN } }]);
    expect(h.tick(T0 + 31 * MIN)).toEqual([]);
    expect(summary(h.tick(T0 + 60 * MIN))).toEqual(['renotify a1']);
    h.engine.acknowledge('a1', 'lan.nguyen');
    expect(h.tick(T0 + 3 * HOUR)).toEqual([]);
  });

  it('a rule can set its own interval; warnings are never re-notified', () => {
    const h = harness([
      { ...above100, id: 'crit', severity: 'critical', renotifyMs: 5 * MIN },
      { ...above100, id: 'warn', severity: 'warning' },
    ]);
    h.feed('pm25', 200, T0);
    expect(h.tick(T0 + 5 * MIN).map((t) => `${t.type} ${t.alert.ruleId}`)).toEqual(['renotify crit']);
  });
});

describe('snapshot and restore (a cloud restart)', () => {
  const slow = { ...above100, forMs: 10 * MIN };

  it('a restart in the middle of a duration resumes it: the alert opens on time, since the first breach', () => {
    const before = harness([slow]);
    before.series('pm25', [150, 150, 150, 150, 150], T0); // minutes 0..4
    const saved = JSON.parse(JSON.stringify(before.engine.snapshot())) as EngineSnapshot; // as stored on disk
    // A fresh process: the same rules, restored state, and no reading since the restart.
    const after = harness([slow]);
    after.clock.set(T0 + 6 * MIN);
    expect(after.engine.restore(saved)).toEqual([]);
    expect(after.tick(T0 + 10 * MIN - 1)).toEqual([]);
    expect(after.tick(T0 + 10 * MIN)).toMatchObject([{ type: 'opened', alert: { since: T0 } }]);
  });

  it('without the snapshot, the same restart would start the duration again (the test above is not vacuous)', () => {
    const after = harness([slow]);
    after.feed('pm25', 150, T0 + 6 * MIN);
    expect(after.tick(T0 + 10 * MIN)).toEqual([]);
    expect(after.tick(T0 + 16 * MIN)).toMatchObject([{ type: 'opened', alert: { since: T0 + 6 * MIN } }]);
  });

  it('open alerts survive with their id, acknowledgement and flap history; the clear resolves the same alert', () => {
    const before = harness([above100]);
    before.feed('pm25', 200, T0);
    before.clock.set(T0 + MIN);
    before.engine.acknowledge('a1', 'lan.nguyen', 'on it');
    const saved = JSON.parse(JSON.stringify(before.engine.snapshot())) as EngineSnapshot;
    const after = harness([above100]);
    after.engine.restore(saved);
    expect(after.engine.alerts()).toMatchObject([{ id: 'a1', state: 'acknowledged', acknowledged: { by: 'lan.nguyen', note: 'on it' } }]);
    expect(after.feed('pm25', 300, T0 + 2 * MIN)).toEqual([]); // still one alert
    expect(after.feed('pm25', 50, T0 + 3 * MIN)).toMatchObject([{ type: 'resolved', alert: { id: 'a1' } }]);
  });

  it('rolling windows survive too', () => {
    const rule = { id: 'no2-1h', kind: 'rolling_mean', severity: 'warning', metric: 'no2', window: '1h', limit: 200 };
    const before = harness([rule]);
    before.series('no2', Array.from({ length: 40 }, () => 250), T0); // 39 min: not judged yet
    const saved = JSON.parse(JSON.stringify(before.engine.snapshot())) as EngineSnapshot;
    const after = harness([rule]);
    after.engine.restore(saved);
    expect(after.series('no2', Array.from({ length: 6 }, () => 250), T0 + 40 * MIN)).toMatchObject([{ type: 'opened' }]);
  });

  it('alerts of rules that no longer exist resolve on restore; an unknown snapshot is refused', () => {
    const before = harness([above100]);
    before.feed('pm25', 200, T0);
    const saved = before.engine.snapshot();
    const after = harness([{ ...above100, id: 'other' }]);
    expect(after.engine.restore(saved)).toMatchObject([{ type: 'resolved', alert: { id: 'a1' }, cause: { type: 'rule', ruleId: 'pm-high', reason: 'removed' } }]);
    expect(after.engine.alerts()).toEqual([]);
    expect(() => after.engine.restore({ version: 2 } as unknown as EngineSnapshot)).toThrow(expect.objectContaining({ code: 'IOC_ERR_RULE_SNAPSHOT' }));
  });
});

describe('editing rules', () => {
  it('removing or disabling a rule resolves its alerts; changing its threshold keeps them and restarts the condition', () => {
    const h = harness([above100, { ...above100, id: 'second' }, { ...above100, id: 'third', forMs: 10 * MIN }]);
    h.feed('pm25', 200, T0);
    expect(h.engine.alerts().map((a) => a.ruleId)).toEqual(['pm-high', 'second']);
    const next = [parseRule({ ...above100, value: 150 }), parseRule({ ...above100, id: 'second', enabled: false }), parseRule({ ...above100, id: 'third', forMs: 10 * MIN, value: 120 })];
    const out = h.engine.setRules(next);
    expect(out).toMatchObject([{ type: 'resolved', alert: { ruleId: 'second' }, cause: { type: 'rule', reason: 'disabled' } }]);
    expect(h.engine.alerts()).toMatchObject([{ ruleId: 'pm-high', state: 'open' }]);
    expect(h.engine.rules().map((r) => r.id)).toEqual(['pm-high', 'third']);
    // 'third' restarted its pending duration: 10 min from the next breach, not from T0.
    expect(h.tick(T0 + 10 * MIN)).toEqual([]);
    expect(h.engine.setRules([])).toMatchObject([{ type: 'resolved', cause: { reason: 'removed' } }]);
  });

  it('narrowing a rule’s scope away from a subject resolves its alert', () => {
    const h = harness([above100]);
    h.feed('pm25', 200, T0);
    const out = h.engine.setRules([parseRule({ ...above100, scope: { district: 'kim-bang' } })]);
    expect(out).toMatchObject([{ type: 'resolved', cause: { type: 'rule', reason: 'changed' } }]);
  });
});
