/**
 * The rules engine: evaluates rules on the ingest path as readings, gateway states and site AQIs arrive, and on
 * tick() for timers. Synchronous, no I/O: the caller persists transitions, delivers them, and saves snapshot()
 * (open alerts, pending durations, windows) so that a restart resumes where it stopped.
 *
 * Time contract:
 * - Value rules (threshold, rolling_mean, rate_of_change, stuck, camera_offline) run in data time: durations and
 *   hold times are measured between readings' `ts`. Between readings a value is assumed to hold, for at most
 *   `sampleHoldMs`: tick(now) judges a value rule at min(now, last ts + sampleHoldMs).
 * - Per (rule, subject), readings are taken in time order: a reading not newer than the last one (a QoS 1
 *   redelivery, or a replay older than live data) is ignored and counted (`ignoredLate`).
 * - Liveness rules (no_data, gateway_offline), outbox_drops and aqi_category run in engine time (the Clock).
 * - Readings of quality `bad` never reach value rules (they still prove the sensor is alive); `uncertain` does.
 */
import { randomUUID } from 'node:crypto';
import type { Reading, StateMessage } from '@ioc/protocol';
import { RuleError, RuleErrorCode } from './errors.js';
import { isValueRule, judgeAqi, judgeDrops, judgeValue, metricOf, type ValueRule } from './judge.js';
import { Lifecycle, type FlapOptions } from './lifecycle.js';
import type { Rule } from './schema.js';
import { newTracker, observe, resetCondition, type Tracker } from './tracker.js';
import type { Alert, Cause, Clock, GatewayContext, ReadingContext, SiteAqi, SiteContext, Subject, Transition } from './types.js';

export interface RuleEngineOptions {
  /** Initial rules (already parsed with parseRule); disabled ones are ignored. */
  rules?: readonly Rule[];
  /** Default: the system clock. */
  clock?: Clock;
  /** Alert ids. Default: random UUIDs. */
  newId?: () => string;
  /** Default: 3 alerts within 1 h make the next resolution wait for 30 min of stability. */
  flap?: Partial<FlapOptions>;
  /** Re-notification interval of unacknowledged critical alerts. Default 30 min. */
  renotifyMs?: number;
  /** How long a reading's value is assumed to hold when no newer reading comes (tick). Default 15 min. */
  sampleHoldMs?: number;
}

/** Counters since the engine was created. */
export interface RuleEngineStats {
  readings: number;
  /** Readings of quality `bad` (kept out of value rules). */
  ignoredBad: number;
  /** (rule, subject) evaluations skipped because the reading was not newer than the last one. */
  ignoredLate: number;
  trackers: number;
  activeAlerts: number;
}

/** Everything a restart needs, as plain JSON. */
export interface EngineSnapshot {
  version: 1;
  /** Engine time of the snapshot. */
  takenAt: number;
  alerts: Alert[];
  trackers: Tracker[];
}

interface Scoped {
  site: string;
  district?: string | undefined;
  sensorKind?: string | undefined;
}

interface Indexed {
  rule: Rule;
  fingerprint: string;
}

const SEP = '\u0000';

export class RuleEngine {
  readonly #clock: Clock;
  readonly #sampleHoldMs: number;
  readonly #life: Lifecycle;
  readonly #trackers = new Map<string, Tracker>();
  #rules = new Map<string, Indexed>();
  #byMetric = new Map<string, Rule[]>();
  #anyMetric: Rule[] = [];
  #gatewayRules: Rule[] = [];
  #stateRules: Rule[] = [];
  #aqiRules: Rule[] = [];
  readonly #stats = { readings: 0, ignoredBad: 0, ignoredLate: 0 };

  constructor(opts: RuleEngineOptions = {}) {
    this.#clock = opts.clock ?? { now: Date.now };
    this.#sampleHoldMs = opts.sampleHoldMs ?? 15 * 60_000;
    this.#life = new Lifecycle({
      flap: { cycles: 3, windowMs: 3_600_000, stableMs: 30 * 60_000, ...opts.flap },
      renotifyMs: opts.renotifyMs ?? 30 * 60_000,
      newId: opts.newId ?? randomUUID,
    });
    this.setRules(opts.rules ?? []);
  }

  /**
   * Replaces the rule set. Alerts of removed or disabled rules resolve (cause `rule`); a changed rule keeps its open
   * alerts but restarts its condition (pending durations, windows), unless its kind, metric or scope no longer fits
   * the subject, in which case the alert resolves too.
   */
  setRules(rules: readonly Rule[]): Transition[] {
    const now = this.#clock.now();
    const next = new Map<string, Indexed>();
    for (const rule of rules) if (rule.enabled) next.set(rule.id, { rule, fingerprint: JSON.stringify(rule) });
    const out: Transition[] = [];
    for (const [key, tr] of this.#trackers) {
      const reason = this.#reconcile(tr, next.get(tr.ruleId), rules.some((r) => r.id === tr.ruleId));
      if (reason === undefined) continue;
      out.push(...this.#life.resolveFor(tr, now, { type: 'rule', ruleId: tr.ruleId, reason }));
      this.#trackers.delete(key);
    }
    this.#rules = next;
    this.#reindex();
    return out;
  }

  /** The enabled rules in force. */
  rules(): Rule[] {
    return [...this.#rules.values()].map((r) => r.rule);
  }

  /** Evaluates one reading (on the ingest path, before or beside the database write). */
  evaluate(reading: Reading, ctx: ReadingContext): Transition[] {
    const now = this.#clock.now();
    this.#stats.readings += 1;
    const bad = reading.quality === 'bad';
    if (bad) this.#stats.ignoredBad += 1;
    const scope: Scoped = { site: ctx.site, district: ctx.district, sensorKind: ctx.sensorKind };
    const sensorKey = `${ctx.site}/${ctx.gateway}/${reading.sensor}`;
    const out: Transition[] = [];
    const cause = (observed: number): Cause => ({ type: 'reading', reading: { ...reading, site: ctx.site, gateway: ctx.gateway }, observed });
    for (const rule of this.#byMetric.get(reading.metric) ?? []) {
      if (!inScope(rule, scope)) continue;
      const subject = (): Subject => ({ site: ctx.site, gateway: ctx.gateway, sensor: reading.sensor, metric: reading.metric });
      const tr = this.#tracker(rule, `${sensorKey}/${reading.metric}`, subject, scope, now);
      if (isValueRule(rule)) {
        if (!bad) out.push(...this.#value(rule, tr, reading, cause, now));
      } else {
        out.push(...this.#alive(rule, tr, now, () => cause(0)));
      }
    }
    for (const rule of this.#anyMetric) {
      if (!inScope(rule, scope)) continue;
      const tr = this.#tracker(rule, sensorKey, () => ({ site: ctx.site, gateway: ctx.gateway, sensor: reading.sensor }), scope, now);
      out.push(...this.#alive(rule, tr, now, () => cause(0)));
    }
    const gwScope: Scoped = { site: ctx.site, district: ctx.district };
    for (const rule of this.#gatewayRules) {
      if (!inScope(rule, gwScope)) continue;
      const tr = this.#tracker(rule, `${ctx.site}/${ctx.gateway}`, () => ({ site: ctx.site, gateway: ctx.gateway }), gwScope, now);
      out.push(...this.#alive(rule, tr, now, () => cause(0)));
    }
    return out;
  }

  /** Evaluates a gateway's state message (birth, or the last will `{online: false}`). */
  gatewayState(ctx: GatewayContext, state: StateMessage): Transition[] {
    const now = this.#clock.now();
    const scope: Scoped = { site: ctx.site, district: ctx.district };
    const key = `${ctx.site}/${ctx.gateway}`;
    const subject = (): Subject => ({ site: ctx.site, gateway: ctx.gateway });
    const base = { type: 'state', site: ctx.site, gateway: ctx.gateway, online: state.online } as const;
    const dropped = state.outbox?.dropped;
    const out: Transition[] = [];
    for (const rule of this.#gatewayRules) {
      if (!inScope(rule, scope)) continue;
      const tr = this.#tracker(rule, key, subject, scope, now);
      if (state.online) tr.lastSeen = now;
      observe(tr, state.online ? 'clear' : 'trigger', now, dropped === undefined ? base : { ...base, dropped });
      out.push(...this.#life.step(tr, rule, now, now));
    }
    for (const rule of this.#stateRules) {
      if (rule.kind !== 'outbox_drops' || !inScope(rule, scope)) continue;
      const tr = this.#tracker(rule, key, subject, scope, now);
      const v = judgeDrops(rule.minDrops, tr.mem, state, now);
      observe(tr, v.signal, now, { ...base, ...(dropped === undefined ? {} : { dropped }), observed: v.observed });
      out.push(...this.#life.step(tr, rule, now, now));
    }
    return out;
  }

  /** Evaluates a site's hourly VN_AQI. An AQI not newer than the last one for the site is ignored. */
  siteAqi(ctx: SiteContext, aqi: SiteAqi): Transition[] {
    const now = this.#clock.now();
    const scope: Scoped = { site: ctx.site, district: ctx.district };
    const out: Transition[] = [];
    for (const rule of this.#aqiRules) {
      if (rule.kind !== 'aqi_category' || !inScope(rule, scope)) continue;
      const tr = this.#tracker(rule, ctx.site, () => ({ site: ctx.site }), scope, now);
      if (tr.lastTs !== null && aqi.ts <= tr.lastTs) {
        this.#stats.ignoredLate += 1;
        continue;
      }
      tr.lastTs = aqi.ts;
      const v = judgeAqi(rule.level, aqi.aqi);
      observe(tr, v.signal, now, { type: 'aqi', site: ctx.site, ts: aqi.ts, aqi: aqi.aqi, observed: v.observed });
      out.push(...this.#life.step(tr, rule, now, now));
    }
    return out;
  }

  /** Fires timers due at `now`: durations, hold times, silences, quiet periods, re-notifications. Call it every few seconds. */
  tick(now: number = this.#clock.now()): Transition[] {
    const out: Transition[] = [];
    for (const tr of this.#trackers.values()) {
      const rule = this.#rules.get(tr.ruleId)?.rule;
      if (rule === undefined) continue;
      const t = this.#timerTime(rule, tr, now);
      if (t !== null) out.push(...this.#life.step(tr, rule, t, now));
    }
    out.push(...this.#life.renotify(now, (id) => this.#rules.get(id)?.rule.renotifyMs));
    return out;
  }

  /** Acknowledges an open alert. Throws RuleError ALERT_NOT_FOUND / ALERT_STATE. */
  acknowledge(alertId: string, by: string, note?: string): Transition {
    return this.#life.acknowledge(alertId, by, note, this.#clock.now());
  }

  /** Resolves an active alert by hand; its (rule, subject) re-arms once the clear condition is seen. Throws ALERT_NOT_FOUND. */
  resolve(alertId: string, by: string, note?: string): Transition {
    const alert = this.#life.get(alertId);
    const tr = alert === undefined ? undefined : this.#trackers.get(alert.ruleId + SEP + alert.subjectKey);
    return this.#life.resolveByHand(alertId, by, note, this.#clock.now(), tr);
  }

  /** Copies of the active (open or acknowledged) alerts. */
  alerts(): Alert[] {
    return [...this.#life.active()].map((a) => structuredClone(a));
  }

  stats(): RuleEngineStats {
    return { ...this.#stats, trackers: this.#trackers.size, activeAlerts: [...this.#life.active()].length };
  }

  /** The engine's whole state as plain JSON (save it, e.g. every few seconds and at shutdown). */
  snapshot(): EngineSnapshot {
    return structuredClone({
      version: 1,
      takenAt: this.#clock.now(),
      alerts: [...this.#life.active()],
      trackers: [...this.#trackers.values()],
    });
  }

  /**
   * Replaces the engine's state with a snapshot, under the rules now in force (call setRules first). Alerts of rules
   * that no longer exist resolve (returned); changed rules restart their condition as in setRules.
   * Throws RuleError SNAPSHOT_INVALID for anything but a version 1 snapshot.
   */
  restore(snapshot: EngineSnapshot): Transition[] {
    checkSnapshot(snapshot);
    const copy = structuredClone(snapshot);
    const now = this.#clock.now();
    this.#trackers.clear();
    this.#life.clear();
    for (const alert of copy.alerts) this.#life.adopt(alert);
    const out: Transition[] = [];
    for (const tr of copy.trackers) {
      const reason = this.#reconcile(tr, this.#rules.get(tr.ruleId), false);
      if (reason === undefined) this.#trackers.set(tr.ruleId + SEP + tr.subjectKey, tr);
      else out.push(...this.#life.resolveFor(tr, now, { type: 'rule', ruleId: tr.ruleId, reason }));
    }
    for (const alert of copy.alerts) {
      const key = alert.ruleId + SEP + alert.subjectKey;
      if (this.#life.get(alert.id) === undefined || this.#trackers.get(key)?.alertId === alert.id) continue;
      // An active alert without its tracker: give it one if its rule still exists, else resolve it.
      const indexed = this.#rules.get(alert.ruleId);
      const tr = newTracker(alert.ruleId, indexed?.fingerprint ?? '', alert.subject, alert.subjectKey, now);
      tr.alertId = alert.id;
      if (indexed !== undefined && !this.#trackers.has(key)) this.#trackers.set(key, tr);
      else out.push(...this.#life.resolveFor(tr, now, { type: 'rule', ruleId: alert.ruleId, reason: 'removed' }));
    }
    return out;
  }

  /** Undefined when the tracker still fits its rule (its condition reset if the rule changed); else why it goes. */
  #reconcile(tr: Tracker, next: Indexed | undefined, exists: boolean): 'removed' | 'disabled' | 'changed' | undefined {
    if (next === undefined) return exists ? 'disabled' : 'removed';
    if (next.fingerprint === tr.fingerprint) return undefined;
    const oldKind = kindOf(tr.fingerprint);
    const scoped: Scoped = { site: tr.subject.site, district: tr.district, sensorKind: tr.sensorKind };
    const fits = oldKind === next.rule.kind && metricOf(next.rule) === tr.subject.metric && inScope(next.rule, scoped);
    if (!fits) return 'changed';
    resetCondition(tr, next.fingerprint);
    return undefined;
  }

  #value(rule: ValueRule, tr: Tracker, reading: Reading, cause: (observed: number) => Cause, now: number): Transition[] {
    if (tr.lastTs !== null && reading.ts <= tr.lastTs) {
      this.#stats.ignoredLate += 1;
      return [];
    }
    tr.lastTs = reading.ts;
    const v = judgeValue(rule, tr.mem, reading.ts, reading.value);
    if (v.signal === 'unknown') return [];
    observe(tr, v.signal, reading.ts, cause(v.observed));
    return this.#life.step(tr, rule, reading.ts, now);
  }

  /** A sign of life for a liveness rule: the silence (or last will) is over. */
  #alive(rule: Rule, tr: Tracker, now: number, cause: () => Cause): Transition[] {
    tr.lastSeen = now;
    // The usual case, every reading of a live sensor: nothing pending, nothing to clear, nothing to record.
    if (tr.alertId === null && tr.breachSince === null && tr.armed) return [];
    observe(tr, 'clear', now, cause());
    return this.#life.step(tr, rule, now, now);
  }

  /** The time to judge the tracker at in tick(now), after feeding timer observations; null when nothing can be due. */
  #timerTime(rule: Rule, tr: Tracker, now: number): number | null {
    if (isValueRule(rule)) return tr.lastTs === null ? null : Math.max(tr.lastTs, Math.min(now, tr.lastTs + this.#sampleHoldMs));
    switch (rule.kind) {
      case 'no_data':
      case 'gateway_offline': {
        const silence = now - tr.lastSeen;
        if (silence >= rule.silenceMs) observe(tr, 'trigger', tr.lastSeen + rule.silenceMs, { type: 'timer', ts: now, observed: silence });
        return now;
      }
      case 'outbox_drops': {
        const last = tr.mem.lastIncreaseAt;
        if (last !== undefined && now - last >= rule.quietMs) observe(tr, 'clear', last + rule.quietMs, { type: 'timer', ts: now, observed: 0 });
        return now;
      }
      default:
        return now;
    }
  }

  #tracker(rule: Rule, subjectKey: string, subject: () => Subject, scope: Scoped, now: number): Tracker {
    const key = rule.id + SEP + subjectKey;
    let tr = this.#trackers.get(key);
    if (tr === undefined) {
      tr = newTracker(rule.id, this.#rules.get(rule.id)?.fingerprint ?? '', subject(), subjectKey, now);
      this.#trackers.set(key, tr);
    }
    if (scope.district !== undefined) tr.district = scope.district;
    if (scope.sensorKind !== undefined) tr.sensorKind = scope.sensorKind;
    return tr;
  }

  #reindex(): void {
    this.#byMetric = new Map();
    this.#anyMetric = [];
    this.#gatewayRules = [];
    this.#stateRules = [];
    this.#aqiRules = [];
    for (const { rule } of this.#rules.values()) {
      const metric = metricOf(rule);
      if (metric !== undefined) this.#byMetric.set(metric, [...(this.#byMetric.get(metric) ?? []), rule]);
      else if (rule.kind === 'no_data') this.#anyMetric.push(rule);
      else if (rule.kind === 'gateway_offline') this.#gatewayRules.push(rule);
      else if (rule.kind === 'outbox_drops') this.#stateRules.push(rule);
      else if (rule.kind === 'aqi_category') this.#aqiRules.push(rule);
    }
  }
}

function inScope(rule: Rule, s: Scoped): boolean {
  const { site, district, sensorKind } = rule.scope;
  return (site === undefined || site === s.site) && (district === undefined || district === s.district) && (sensorKind === undefined || sensorKind === s.sensorKind);
}

/** The kind of the rule a fingerprint (the rule's JSON) was made from. */
function kindOf(fingerprint: string): string | undefined {
  try {
    return (JSON.parse(fingerprint) as { kind?: string }).kind;
  } catch {
    return undefined;
  }
}

function checkSnapshot(s: unknown): asserts s is EngineSnapshot {
  const v = s as Partial<EngineSnapshot> | null;
  if (typeof v !== 'object' || v === null || v.version !== 1 || !Array.isArray(v.alerts) || !Array.isArray(v.trackers)) {
    throw new RuleError(RuleErrorCode.SNAPSHOT_INVALID, 'not a version 1 rules-engine snapshot');
  }
}
