/**
 * Test support for the rules engine (not exported from index.ts): a fake clock, reading builders, and an engine
 * whose alert ids count up (`a1`, `a2`, …) so tests can tell a re-opened alert from the old one.
 */
import type { Quality, Reading } from '@ioc/protocol';
import { RuleEngine, type RuleEngineOptions } from './engine.js';
import { parseRule } from './schema.js';
import type { ReadingContext, Transition } from './types.js';

/** 2026-11-26T08:00+07:00. */
export const T0 = Date.UTC(2026, 10, 26, 1);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export class FakeClock {
  t: number;
  constructor(t = T0) {
    this.t = t;
  }
  now = (): number => this.t;
  /** Moves to `t` (never backwards). */
  set(t: number): void {
    if (t < this.t) throw new RangeError(`clock going backwards: ${t} < ${this.t}`);
    this.t = t;
  }
}

export const CTX: ReadingContext = { site: 'ha-nam', gateway: 'gw-01', district: 'phu-ly', sensorKind: 'pms5003' };

export function reading(metric: string, value: number, ts: number, sensor = 'pm-01', quality: Quality = 'good'): Reading {
  return { sensor, metric, ts, value, quality };
}

/** An engine on a fake clock with the given raw rule definitions (validated with parseRule). */
export function harness(rules: unknown[], opts: Omit<RuleEngineOptions, 'rules' | 'clock'> = {}) {
  const clock = new FakeClock();
  let n = 0;
  const engine = new RuleEngine({ newId: () => `a${++n}`, ...opts, rules: rules.map((r) => parseRule(r)), clock });
  /** Feeds one reading at data time ts, with the clock moved to ts first. */
  const feed = (metric: string, value: number, ts: number, sensor?: string, quality?: Quality, ctx: ReadingContext = CTX): Transition[] => {
    clock.set(ts);
    return engine.evaluate(reading(metric, value, ts, sensor, quality), ctx);
  };
  /** Feeds a series, one reading every stepMs from `from`; returns every transition. */
  const series = (metric: string, values: readonly number[], from: number, stepMs = MIN, sensor?: string): Transition[] =>
    values.flatMap((v, i) => feed(metric, v, from + i * stepMs, sensor));
  const tick = (t: number): Transition[] => {
    clock.set(t);
    return engine.tick();
  };
  return { engine, clock, feed, series, tick };
}

/** `type alertId` of each transition, e.g. `opened a1`. */
export function summary(ts: readonly Transition[]): string[] {
  return ts.map((t) => `${t.type} ${t.alert.id}`);
}
