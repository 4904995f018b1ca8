import type { Logger } from 'pino';
import { getMetric, type Reading, type StateMessage } from '@ioc/protocol';
import { RuleEngine, defaultRules, parseRules, type EngineSnapshot, type Rule, type Transition } from '../rules/index.js';
import type { Registry } from '../registry/registry.js';
import type { AlertActions } from './actions.js';
import type { AlertHub } from './hub.js';
import type { AlertEvent, AlertTransition } from './types.js';

export interface AlertServiceOptions {
  hub: AlertHub;
  registry: Registry;
  log: Logger;
  now?: () => number;
  /** Timer period for durations, silences and re-notifications. Default 5 s. */
  tickMs?: number;
  /** How long registry lookups (district, sensor kind) are cached. Default 30 s. */
  contextTtlMs?: number;
}

const TYPE: Record<Transition['type'], AlertTransition['type']> = {
  opened: 'opened', acknowledged: 'acknowledged', resolved: 'resolved', flapping: 'flapping', renotify: 'renotified',
};

function ruleName(rule: Rule | undefined, id: string): string {
  const label = (rule as { label?: { vi: string; en: string } } | undefined)?.label;
  return label ? `${label.vi} / ${label.en}` : id;
}

/** A sentence for people: what happened, with the observed value and unit where there is one. */
function describe(t: Transition, name: string): string {
  const c = t.cause;
  const unit = t.alert.subject.metric ? (getMetric(t.alert.subject.metric)?.unit ?? '') : '';
  const observed = 'observed' in c && typeof c.observed === 'number' ? ` (${Math.round(c.observed * 100) / 100}${unit ? ` ${unit}` : ''})` : '';
  const where = [t.alert.subject.site, t.alert.subject.gateway, t.alert.subject.sensor].filter(Boolean).join('/');
  const verb = { opened: 'opened', acknowledged: 'acknowledged', resolved: 'resolved', flapping: 'is flapping', renotify: 'still open' }[t.type];
  return `${name} — ${where}: ${verb}${observed}`;
}

/**
 * The rules engine in service: fed on the ingest path (readings, gateway states, site AQIs), ticked
 * for timers, its transitions stored and delivered through the hub, its state saved after every change
 * so a restart resumes open alerts and pending durations. Rules live in the registry; defaults are
 * seeded once, on the first start.
 */
export class AlertService implements AlertActions {
  readonly #o: AlertServiceOptions;
  readonly #engine: RuleEngine;
  readonly #now: () => number;
  readonly #ctx = new Map<string, { district?: string; kinds: Map<string, string>; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;

  private constructor(opts: AlertServiceOptions, engine: RuleEngine) {
    this.#o = opts;
    this.#engine = engine;
    this.#now = opts.now ?? Date.now;
  }

  static start(opts: AlertServiceOptions): AlertService {
    const now = opts.now ?? Date.now;
    const engine = new RuleEngine({ rules: AlertService.#loadRules(opts.registry, now()), clock: { now } });
    const service = new AlertService(opts, engine);
    const snapshot = opts.hub.store.loadSnapshot();
    if (snapshot) service.#emit(engine.restore(snapshot as EngineSnapshot));
    service.#timer = setInterval(() => service.tick(), opts.tickMs ?? 5000);
    service.#timer.unref();
    return service;
  }

  static #loadRules(registry: Registry, now: number): Rule[] {
    if (registry.getSetting('rules.seeded') === undefined) {
      const defaults = defaultRules(now);
      registry.replaceRuleBodies(defaults.map((r) => ({ id: r.id, body: r })), 'system:defaults');
      registry.setSetting('rules.seeded', String(now));
    }
    return parseRules(registry.listRuleBodies().map((r) => r.body));
  }

  rules(): Rule[] {
    return this.#engine.rules();
  }

  /** Validates and replaces the whole rule set (API, YAML import); open alerts of removed rules resolve. */
  setRules(raw: unknown[], actor: string): Rule[] {
    const rules = parseRules(raw);
    this.#o.registry.replaceRuleBodies(rules.map((r) => ({ id: r.id, body: r })), actor);
    this.#emit(this.#engine.setRules(rules));
    return this.#engine.rules();
  }

  #context(site: string, gateway: string): { district?: string; kinds: Map<string, string> } {
    const hit = this.#ctx.get(gateway);
    if (hit && this.#now() - hit.at < (this.#o.contextTtlMs ?? 30_000)) return hit;
    const district = this.#o.registry.getSite(site)?.district ?? undefined;
    const kinds = new Map(this.#o.registry.listSensors({ gateway }).map((s) => [s.id, s.driver]));
    const entry = { ...(district ? { district } : {}), kinds, at: this.#now() };
    this.#ctx.set(gateway, entry);
    return entry;
  }

  /** On arrival of decoded readings (before or beside the store write). */
  onReadings(site: string, gateway: string, readings: readonly Reading[]): void {
    const ctx = this.#context(site, gateway);
    const out: Transition[] = [];
    for (const r of readings) {
      const kind = ctx.kinds.get(r.sensor);
      out.push(...this.#engine.evaluate(r, { site, gateway, ...(ctx.district ? { district: ctx.district } : {}), ...(kind ? { sensorKind: kind } : {}) }));
    }
    this.#dirty = true; // pending durations moved: saved at the next tick
    this.#emit(out);
  }

  onState(site: string, gateway: string, state: StateMessage): void {
    const ctx = this.#context(site, gateway);
    this.#dirty = true;
    this.#emit(this.#engine.gatewayState({ site, gateway, ...(ctx.district ? { district: ctx.district } : {}) }, state));
  }

  onSiteAqi(site: string, hourStart: number, aqi: number | null): void {
    const district = this.#o.registry.getSite(site)?.district ?? undefined;
    this.#emit(this.#engine.siteAqi({ site, ...(district ? { district } : {}) }, { ts: hourStart, aqi }));
  }

  tick(): void {
    try {
      this.#emit(this.#engine.tick(this.#now()));
      if (this.#dirty) this.#save();
    } catch (err) {
      this.#o.log.error({ err }, 'rules tick failed');
    }
  }

  acknowledge(alertId: string, actor: string, note: string | undefined): AlertEvent {
    return this.#emit([this.#engine.acknowledge(alertId, actor, note)])[0]!;
  }

  resolve(alertId: string, actor: string, note: string | undefined): AlertEvent {
    return this.#emit([this.#engine.resolve(alertId, actor, note)])[0]!;
  }

  stats(): ReturnType<RuleEngine['stats']> {
    return this.#engine.stats();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#save();
  }

  #save(): void {
    this.#o.hub.store.saveSnapshot(this.#engine.snapshot(), this.#now());
    this.#dirty = false;
  }

  /** Stores and delivers transitions, then saves the engine state: no delivered alert is unknown after a crash. */
  #emit(transitions: Transition[]): AlertEvent[] {
    if (transitions.length === 0) return [];
    const rules = new Map(this.#engine.rules().map((r) => [r.id, r]));
    const events = transitions.map((t) => {
      const name = ruleName(rules.get(t.alert.ruleId), t.alert.ruleId);
      const c = t.cause;
      return this.#o.hub.publish({
        alertId: t.alert.id,
        type: TYPE[t.type],
        ruleId: t.alert.ruleId,
        ruleName: name,
        severity: t.alert.severity,
        subject: t.alert.subject,
        state: t.alert.state,
        at: t.at,
        message: describe(t, name),
        ...(c.type === 'manual' ? { actor: c.by, ...(c.note ? { note: c.note } : {}) } : {}),
        ...(c.type === 'reading' ? { cause: { sensor: c.reading.sensor, metric: c.reading.metric, ts: c.reading.ts, value: c.reading.value } } : {}),
      });
    });
    this.#dirty = true;
    this.#save();
    return events;
  }
}
