/**
 * How each rule kind reads one observation: a Signal plus the value it compared (`observed`). Pure functions of the
 * rule, the tracker's per-kind memory and the observation; the lifecycle (durations, holds, flapping) is elsewhere.
 */
import type { StateMessage } from '@ioc/protocol';
import { vnCategory } from '../aqi/vn.js';
import type { KindMemory, Signal } from './tracker.js';
import type { Rule, RollingMeanRule, ThresholdRule } from './schema.js';
import { addToWindow, windowMean, windowOldest } from './window.js';

/** A signal and the value behind it. */
export interface Verdict {
  signal: Signal;
  observed: number;
}

const WINDOW_MS = { '1h': 3_600_000, '8h': 8 * 3_600_000, '24h': 24 * 3_600_000 } as const;

/** Metric a reading-driven rule watches (camera_offline watches `camera_online`); undefined for the others. */
export function metricOf(rule: Rule): string | undefined {
  switch (rule.kind) {
    case 'threshold':
    case 'rolling_mean':
    case 'rate_of_change':
    case 'stuck':
      return rule.metric;
    case 'camera_offline':
      return 'camera_online';
    case 'no_data':
      return rule.metric;
    default:
      return undefined;
  }
}

/** Kinds whose condition is judged on readings' values, in data time. Quality `bad` never reaches them. */
export type ValueRule = Extract<Rule, { kind: 'threshold' | 'rolling_mean' | 'rate_of_change' | 'stuck' | 'camera_offline' }>;

export function isValueRule(rule: Rule): rule is ValueRule {
  return ['threshold', 'rolling_mean', 'rate_of_change', 'stuck', 'camera_offline'].includes(rule.kind);
}

/** How long the trigger condition must hold before an alert opens. */
export function forMsOf(rule: Rule): number {
  return 'forMs' in rule ? rule.forMs : 0;
}

/** Judges one good/uncertain reading for a value rule. */
export function judgeValue(rule: ValueRule, mem: KindMemory, ts: number, value: number): Verdict {
  switch (rule.kind) {
    case 'threshold':
      return { signal: compareWithHysteresis(rule.direction, value, rule.value, rule.clear), observed: value };
    case 'rolling_mean':
      return judgeMean(rule, mem, ts, value);
    case 'rate_of_change': {
      const buckets = (mem.buckets ??= []);
      addToWindow(buckets, rule.windowMs, ts, value);
      const oldest = windowOldest(buckets);
      if (oldest === undefined || oldest.ts === ts) return { signal: 'unknown', observed: 0 };
      const change = value - oldest.value;
      const beyond = rule.direction === 'rise' ? change > rule.limit : rule.direction === 'fall' ? -change > rule.limit : Math.abs(change) > rule.limit;
      return { signal: beyond ? 'trigger' : 'clear', observed: change };
    }
    case 'stuck': {
      mem.repeats = mem.lastValue === value ? (mem.repeats ?? 0) + 1 : 1;
      mem.lastValue = value;
      return { signal: mem.repeats >= rule.count ? 'trigger' : 'clear', observed: mem.repeats };
    }
    case 'camera_offline': {
      mem.zeros = value < 0.5 ? (mem.zeros ?? 0) + 1 : 0;
      const signal = mem.zeros >= rule.missed ? 'trigger' : mem.zeros === 0 ? 'clear' : 'neutral';
      return { signal, observed: mem.zeros };
    }
  }
}

function judgeMean(rule: RollingMeanRule, mem: KindMemory, ts: number, value: number): Verdict {
  const windowMs = WINDOW_MS[rule.window];
  const buckets = (mem.buckets ??= []);
  addToWindow(buckets, windowMs, ts, value);
  const mean = windowMean(buckets);
  const span = ts - (windowOldest(buckets)?.ts ?? ts);
  if (span < rule.minCoverage * windowMs) return { signal: 'unknown', observed: mean };
  return { signal: compareWithHysteresis('above', mean, rule.limit, rule.clear), observed: mean };
}

/** above: trigger when v > trigger, clear when v ≤ clear; below: mirrored. Between the two: neutral. */
function compareWithHysteresis(direction: ThresholdRule['direction'], v: number, trigger: number, clear = trigger): Signal {
  if (direction === 'above') return v > trigger ? 'trigger' : v <= clear ? 'clear' : 'neutral';
  return v < trigger ? 'trigger' : v >= clear ? 'clear' : 'neutral';
}

/** outbox_drops: the growth of `outbox.dropped` since the last state (a smaller count means the agent restarted). */
export function judgeDrops(minDrops: number, mem: KindMemory, state: StateMessage, now: number): Verdict {
  const dropped = state.outbox?.dropped;
  if (dropped === undefined) return { signal: 'unknown', observed: 0 };
  const last = mem.lastDropped ?? 0;
  const increase = dropped >= last ? dropped - last : dropped;
  mem.lastDropped = dropped;
  if (increase < minDrops) return { signal: 'unknown', observed: increase };
  mem.lastIncreaseAt = now;
  return { signal: 'trigger', observed: increase };
}

/** aqi_category: the AQI's category level against the rule's; null AQI says nothing. */
export function judgeAqi(level: number, aqi: number | null): Verdict {
  if (aqi === null) return { signal: 'unknown', observed: 0 };
  return { signal: vnCategory(aqi).level >= level ? 'trigger' : 'clear', observed: aqi };
}
