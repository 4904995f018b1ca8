import { describe, expect, it } from 'vitest';
import { CTX, harness, MIN, reading, summary, T0 } from './testing.js';

const pm25High = {
  id: 'pm25-high',
  kind: 'threshold',
  severity: 'warning',
  metric: 'pm25',
  direction: 'above',
  value: 150,
  clear: 120,
  forMs: 10 * MIN,
};

describe('threshold with duration and hysteresis ("above 150 for 10 min", clears at 120)', () => {
  it('opens once the value has been above 150 for 10 min, with the reading that completed it', () => {
    const h = harness([pm25High]);
    expect(h.feed('pm25', 100, T0)).toEqual([]);
    // 160 from minute 1; minutes 1..10 hold it for 9 minutes: nothing yet.
    expect(h.series('pm25', Array.from({ length: 10 }, () => 160), T0 + MIN)).toEqual([]);
    const [opened, ...rest] = h.feed('pm25', 161, T0 + 11 * MIN);
    expect(rest).toEqual([]);
    expect(opened).toMatchObject({
      type: 'opened',
      at: T0 + 11 * MIN,
      alert: {
        id: 'a1',
        ruleId: 'pm25-high',
        state: 'open',
        severity: 'warning',
        since: T0 + MIN,
        subject: { site: 'ha-nam', gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25' },
        subjectKey: 'ha-nam/gw-01/pm-01/pm25',
      },
      cause: { type: 'reading', observed: 161, reading: { ts: T0 + 11 * MIN, value: 161, site: 'ha-nam', gateway: 'gw-01' } },
    });
  });

  it('holding: a dip to 140 (below the trigger) restarts the duration', () => {
    const h = harness([pm25High]);
    const values = [160, 160, 160, 160, 160, 140, ...Array.from({ length: 10 }, () => 160)];
    expect(h.series('pm25', values, T0)).toEqual([]); // the last 160s run from minute 6 to 15: 9 minutes
    expect(summary(h.feed('pm25', 160, T0 + 16 * MIN))).toEqual(['opened a1']);
  });

  it('clearing with hysteresis: between 120 and 150 the alert stays open; at 120 it resolves', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    expect(summary(h.feed('pm25', 151, T0))).toEqual(['opened a1']);
    expect(h.series('pm25', [149, 135, 121, 140, 150], T0 + MIN)).toEqual([]);
    const [resolved] = h.feed('pm25', 120, T0 + 6 * MIN);
    expect(resolved).toMatchObject({ type: 'resolved', alert: { id: 'a1', state: 'resolved' }, cause: { type: 'reading', observed: 120 } });
    expect(resolved?.alert.resolved).toMatchObject({ at: T0 + 6 * MIN });
  });

  it('exactly 150 is not above 150 (strict), and a rule without `clear` clears at its threshold', () => {
    const h = harness([{ ...pm25High, forMs: 0, clear: undefined }]);
    expect(h.feed('pm25', 150, T0)).toEqual([]);
    expect(summary(h.feed('pm25', 150.1, T0 + MIN))).toEqual(['opened a1']);
    expect(summary(h.feed('pm25', 150, T0 + 2 * MIN))).toEqual(['resolved a1']);
  });

  it('below: opens under the threshold and clears at or above `clear`', () => {
    const h = harness([{ id: 'do-low', kind: 'threshold', severity: 'critical', metric: 'water_do', direction: 'below', value: 2, clear: 3 }]);
    expect(summary(h.feed('water_do', 1.9, T0))).toEqual(['opened a1']);
    expect(h.feed('water_do', 2.5, T0 + MIN)).toEqual([]);
    expect(summary(h.feed('water_do', 3, T0 + 2 * MIN))).toEqual(['resolved a1']);
  });

  it('the duration also completes on tick() when no newer reading comes (the last value holds)', () => {
    const h = harness([pm25High]);
    h.feed('pm25', 170, T0);
    expect(h.tick(T0 + 10 * MIN - 1)).toEqual([]);
    const [opened] = h.tick(T0 + 10 * MIN);
    expect(opened).toMatchObject({ type: 'opened', at: T0 + 10 * MIN, alert: { since: T0 }, cause: { type: 'reading', observed: 170 } });
  });

  it('a value older than sampleHoldMs does not hold: a lone stale reading never completes a duration', () => {
    const h = harness([pm25High], { sampleHoldMs: 5 * MIN });
    h.feed('pm25', 170, T0);
    expect(h.tick(T0 + 60 * MIN)).toEqual([]);
    // A fresh reading still above 150 completes it in data time.
    expect(summary(h.feed('pm25', 170, T0 + 61 * MIN))).toEqual(['opened a1']);
  });

  it('the clear hold time: the clear condition must hold clearHoldMs before the alert resolves', () => {
    const h = harness([{ ...pm25High, forMs: 0, clearHoldMs: 5 * MIN }]);
    h.feed('pm25', 200, T0);
    expect(h.series('pm25', [100, 100, 100], T0 + MIN)).toEqual([]); // 2 min of clear
    expect(h.feed('pm25', 130, T0 + 4 * MIN)).toEqual([]); // back into the band: the hold restarts
    expect(h.series('pm25', [100, 100, 100, 100, 100], T0 + 5 * MIN)).toEqual([]); // minutes 5..9: 4 min
    expect(summary(h.tick(T0 + 10 * MIN))).toEqual(['resolved a1']); // 5 min since minute 5, on the timer
  });
});

describe('quality, ordering and concurrency', () => {
  it('readings of quality bad never trigger and never break a duration; uncertain ones count', () => {
    const h = harness([{ ...pm25High, forMs: 2 * MIN }]);
    const bad = [0, 1, 2, 3, 4].flatMap((i) => h.feed('pm25', 900, T0 + i * MIN, 'pm-01', 'bad'));
    expect(bad).toEqual([]);
    expect(h.engine.alerts()).toEqual([]);
    expect(h.engine.stats()).toMatchObject({ readings: 5, ignoredBad: 5 });
    // good 900, bad 0, uncertain 900 two minutes after the first: the bad 0 did not interrupt the breach.
    h.feed('pm25', 900, T0 + 10 * MIN);
    expect(h.feed('pm25', 0, T0 + 11 * MIN, 'pm-01', 'bad')).toEqual([]);
    expect(h.feed('pm25', 900, T0 + 12 * MIN, 'pm-01', 'uncertain')).toMatchObject([{ type: 'opened', alert: { since: T0 + 10 * MIN } }]);
  });

  it('bad readings are kept out entirely: an alert opened on good data is not cleared by a bad 0', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    expect(summary(h.feed('pm25', 200, T0))).toEqual(['opened a1']);
    expect(h.feed('pm25', 0, T0 + MIN, 'pm-01', 'bad')).toEqual([]);
    expect(h.engine.alerts()).toMatchObject([{ id: 'a1', state: 'open' }]);
    expect(summary(h.feed('pm25', 0, T0 + 2 * MIN, 'pm-01', 'uncertain'))).toEqual(['resolved a1']);
  });

  it('many concurrent readings for one subject (shuffled, duplicated) open exactly one alert', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    const batch = Array.from({ length: 2000 }, (_, i) => reading('pm25', 300 + (i % 7), T0 + (i % 1000) * 1000));
    let seed = 7;
    batch.sort(() => ((seed = (seed * 48271) % 2147483647) % 3) - 1);
    const out = batch.flatMap((r) => h.engine.evaluate(r, CTX));
    expect(summary(out)).toEqual(['opened a1']);
    expect(h.engine.alerts()).toHaveLength(1);
    expect(h.engine.stats().ignoredLate).toBeGreaterThanOrEqual(1000); // at least every duplicate
  });

  it('a duplicate or older reading (QoS 1 redelivery, late replay) is ignored: it cannot clear a newer breach', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    h.feed('pm25', 200, T0 + 5 * MIN);
    expect(h.engine.evaluate(reading('pm25', 10, T0), CTX)).toEqual([]);
    expect(h.engine.evaluate(reading('pm25', 10, T0 + 5 * MIN), CTX)).toEqual([]);
    expect(h.engine.alerts()).toHaveLength(1);
  });

  it('each subject has its own alert: two sensors, two alerts', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    expect(summary([...h.feed('pm25', 200, T0, 'pm-01'), ...h.feed('pm25', 200, T0, 'pm-02')])).toEqual(['opened a1', 'opened a2']);
  });

  it('scope: site, district and sensor kind must all match', () => {
    const h = harness([
      { ...pm25High, id: 'in-phu-ly', forMs: 0, scope: { district: 'phu-ly' } },
      { ...pm25High, id: 'kim-bang-only', forMs: 0, scope: { district: 'kim-bang' } },
      { ...pm25High, id: 'sds-only', forMs: 0, scope: { sensorKind: 'sds011' } },
      { ...pm25High, id: 'other-site', forMs: 0, scope: { site: 'hue' } },
    ]);
    const out = h.feed('pm25', 200, T0);
    expect(out.map((t) => t.alert.ruleId)).toEqual(['in-phu-ly']);
  });
});

describe('re-opening and manual actions', () => {
  it('after resolution, the next breach opens a NEW alert', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    const out = h.series('pm25', [200, 100, 200], T0);
    expect(summary(out)).toEqual(['opened a1', 'resolved a1', 'opened a2']);
  });

  it('acknowledge: by whom, with a note; twice is refused; an acknowledged alert still resolves by itself', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    h.feed('pm25', 200, T0);
    h.clock.set(T0 + MIN);
    const ack = h.engine.acknowledge('a1', 'lan.nguyen', 'Đã báo đội môi trường');
    expect(ack).toMatchObject({
      type: 'acknowledged',
      at: T0 + MIN,
      alert: { state: 'acknowledged', acknowledged: { by: 'lan.nguyen', note: 'Đã báo đội môi trường', at: T0 + MIN } },
      cause: { type: 'manual', by: 'lan.nguyen' },
    });
    expect(() => h.engine.acknowledge('a1', 'minh')).toThrow(expect.objectContaining({ code: 'IOC_ERR_ALERT_STATE' }));
    expect(() => h.engine.acknowledge('a9', 'minh')).toThrow(expect.objectContaining({ code: 'IOC_ERR_ALERT_NOT_FOUND' }));
    expect(h.feed('pm25', 100, T0 + 2 * MIN)).toMatchObject([{ type: 'resolved', alert: { state: 'resolved', acknowledged: { by: 'lan.nguyen' } } }]);
    expect(() => h.engine.acknowledge('a1', 'minh')).toThrow(expect.objectContaining({ code: 'IOC_ERR_ALERT_NOT_FOUND' }));
  });

  it('resolved by hand while still above: no instant re-open; re-arms once the value has cleared', () => {
    const h = harness([{ ...pm25High, forMs: 0 }]);
    h.feed('pm25', 200, T0);
    const resolved = h.engine.resolve('a1', 'lan.nguyen', 'known: fire at the landfill');
    expect(resolved).toMatchObject({ type: 'resolved', cause: { type: 'manual', by: 'lan.nguyen', note: 'known: fire at the landfill' } });
    expect(h.series('pm25', [210, 220, 230], T0 + MIN)).toEqual([]);
    expect(h.feed('pm25', 100, T0 + 4 * MIN)).toEqual([]);
    expect(summary(h.feed('pm25', 200, T0 + 5 * MIN))).toEqual(['opened a2']);
    expect(() => h.engine.resolve('a1', 'x')).toThrow(expect.objectContaining({ code: 'IOC_ERR_ALERT_NOT_FOUND' }));
  });
});
