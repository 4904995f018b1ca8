import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../lib/alert-event.js';
import { alertIdOf, backoffDelay, compileFilter, parseAlertEvent, prng, splitList, toMessage } from './cjs.js';

const NOW = 1_764_064_800_000;

const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  id: 12, alertId: 'a-1', type: 'opened', ruleId: 'pm25-high', ruleName: 'PM2.5 cao', severity: 'critical',
  subject: { site: 'ha-nam-phu-ly', sensor: 'pm-01', metric: 'pm25' }, state: 'open', at: NOW, message: 'PM2.5 182 µg/m³', ...over,
});

describe('AlertEvent validation', () => {
  it('accepts the cloud’s events, extra fields included', () => {
    const e = { ...event(), cause: { ts: NOW, value: 182 }, futureField: 1 };
    expect(parseAlertEvent(JSON.stringify(e))).toEqual({ ok: true, event: e });
  });

  it.each([
    ['{not json', 'bad-json'],
    ['[1,2]', 'not-an-object'],
    ['null', 'not-an-object'],
    [JSON.stringify(event({ id: 0 })), 'bad-id'],
    [JSON.stringify({ ...event(), id: '12' }), 'bad-id'],
    [JSON.stringify(event({ id: 1.5 })), 'bad-id'],
    [JSON.stringify(event({ alertId: '' })), 'bad-alertId'],
    [JSON.stringify({ ...event(), type: 'exploded' }), 'bad-type'],
    [JSON.stringify({ ...event(), severity: 'CRITICAL' }), 'bad-severity'],
    [JSON.stringify({ ...event(), state: 'closed' }), 'bad-state'],
    [JSON.stringify({ ...event(), subject: { sensor: 'pm-01' } }), 'bad-subject'],
    [JSON.stringify({ ...event(), at: '2025-11-25' }), 'bad-at'],
    [JSON.stringify({ ...event(), message: null }), 'bad-text'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(parseAlertEvent(text)).toEqual({ ok: false, reason });
  });

  it('never throws on random text (fixed seed)', () => {
    const random = prng(7);
    for (let i = 0; i < 2000; i++) {
      const text = String.fromCharCode(...Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 128)));
      expect(parseAlertEvent(text).ok).toBe(false);
    }
  });
});

describe('filter and message', () => {
  const filter = compileFilter({ minSeverity: 'warning', sites: ['ha-nam-phu-ly', 'ha-nam-duy-tien'], types: ['opened', 'renotified'], maxAgeMs: 3_600_000 });

  it.each([
    [event(), null],
    [event({ severity: 'warning', type: 'renotified' }), null],
    [event({ severity: 'info' }), 'severity'],
    [event({ subject: { site: 'bac-ninh-01' } }), 'site'],
    [event({ type: 'acknowledged', state: 'acknowledged' }), 'type'],
    [event({ at: NOW - 3_600_001 }), 'stale'],
    [event({ at: NOW - 3_600_000 }), null],
  ])('%#: %j → %s', (e, verdict) => {
    expect(filter(e, NOW)).toBe(verdict);
  });

  it('an empty filter passes everything, however old', () => {
    expect(compileFilter({})(event({ severity: 'info', type: 'updated', at: 0 }), NOW)).toBeNull();
  });

  it('splits site lists typed by people', () => {
    expect(splitList(' ha-nam-phu-ly, ha-nam-duy-tien;bac-ninh-01\n')).toEqual(['ha-nam-phu-ly', 'ha-nam-duy-tien', 'bac-ninh-01']);
    expect(splitList('')).toEqual([]);
    expect(splitList(undefined)).toEqual([]);
  });

  it('routes by topic ioc/alerts/<site>/<severity> and keeps the alert id beside the payload', () => {
    const e = event({ severity: 'warning' });
    expect(toMessage(e)).toEqual({ topic: 'ioc/alerts/ha-nam-phu-ly/warning', payload: e, alertId: 'a-1', eventId: 12 });
  });

  it('finds the alert id in msg.alertId first, then msg.payload.alertId', () => {
    expect(alertIdOf({ alertId: 'a-2', payload: event() })).toBe('a-2');
    expect(alertIdOf({ payload: event() })).toBe('a-1');
    expect(alertIdOf({ payload: 'OK' })).toBeUndefined();
    expect(alertIdOf({ alertId: 42, payload: {} })).toBeUndefined();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the floor to the ceiling, jittered within the upper half', () => {
    const range = { minMs: 1000, maxMs: 60_000 };
    expect([0, 1, 2, 3, 6, 7, 50].map((n) => backoffDelay(n, range, () => 0))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    expect([0, 1, 2, 3, 6, 7, 50].map((n) => backoffDelay(n, range, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    const random = prng(3);
    for (let n = 0; n < 40; n++) {
      const d = backoffDelay(n, range, random);
      const ceiling = Math.min(60_000, 1000 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});
