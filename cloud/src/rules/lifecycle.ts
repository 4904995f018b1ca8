/**
 * The alert lifecycle: open → acknowledged → resolved (automatically once the clear condition has held for the
 * rule's `clearHoldMs`, or by hand). At most one active alert per (rule, subject): the tracker holds its id. After
 * resolution the next trigger opens a NEW alert (new id).
 *
 * Flapping: an alert that would resolve while `flap.cycles` alerts of its (rule, subject) opened within
 * `flap.windowMs` (itself included) is marked flapping instead (one `flapping` transition) and stays open until its
 * clear condition has held for `flap.stableMs`; re-triggers meanwhile emit nothing.
 *
 * Re-notification: an open (unacknowledged) critical alert gets a `renotify` transition every `renotifyMs` of engine
 * time, from tick() only — never per reading.
 */
import { RuleError, RuleErrorCode } from './errors.js';
import { forMsOf } from './judge.js';
import type { Rule } from './schema.js';
import type { Tracker } from './tracker.js';
import type { Alert, Cause, Transition, TransitionType } from './types.js';

export interface FlapOptions {
  /** Alerts of one (rule, subject) opened within windowMs (the resolving one included) that make it flapping. */
  cycles: number;
  windowMs: number;
  /** How long a flapping alert's clear condition must hold before it resolves. */
  stableMs: number;
}

export interface LifecycleOptions {
  flap: FlapOptions;
  /** Default re-notification interval of unacknowledged critical alerts (a rule's `renotifyMs` overrides it). */
  renotifyMs: number;
  newId: () => string;
}

export class Lifecycle {
  readonly #alerts = new Map<string, Alert>();
  readonly #opts: LifecycleOptions;

  constructor(opts: LifecycleOptions) {
    this.#opts = opts;
  }

  /** The active alert with this id, if any. */
  get(id: string): Alert | undefined {
    return this.#alerts.get(id);
  }

  /** Every active (open or acknowledged) alert, oldest first. The objects are live: copy before handing out. */
  active(): IterableIterator<Alert> {
    return this.#alerts.values();
  }

  /** Forgets every active alert (before a restore). */
  clear(): void {
    this.#alerts.clear();
  }

  /** Puts back an active alert (restore). */
  adopt(alert: Alert): void {
    this.#alerts.set(alert.id, alert);
  }

  /**
   * Opens or resolves the tracker's alert as its condition allows at time t (data time for value rules, engine time
   * otherwise); `now` (engine time) stamps the transitions.
   */
  step(tr: Tracker, rule: Rule, t: number, now: number): Transition[] {
    const alert = tr.alertId === null ? undefined : this.#alerts.get(tr.alertId);
    if (alert === undefined) {
      tr.alertId = null;
      const ready = tr.armed && tr.breachSince !== null && tr.breachCause !== null && t - tr.breachSince >= forMsOf(rule);
      return ready ? [this.#open(tr, rule, t, now)] : [];
    }
    if (tr.clearSince === null || tr.clearCause === null) return [];
    const held = t - tr.clearSince;
    if (held < rule.clearHoldMs) return [];
    const out: Transition[] = [];
    if (!alert.flapping && this.#recentOpens(tr, t) >= this.#opts.flap.cycles) {
      alert.flapping = true;
      out.push(transition('flapping', alert, now, tr.clearCause));
    }
    if (!alert.flapping || held >= this.#opts.flap.stableMs) out.push(this.#resolve(tr, alert, now, tr.clearCause));
    return out;
  }

  /** Acknowledges an open alert. Throws ALERT_NOT_FOUND (unknown or resolved) or ALERT_STATE (already acknowledged). */
  acknowledge(id: string, by: string, note: string | undefined, now: number): Transition {
    const alert = this.#mustGet(id);
    if (alert.state !== 'open') {
      throw new RuleError(RuleErrorCode.ALERT_STATE, `alert ${id} is already acknowledged by ${alert.acknowledged?.by ?? '?'}`);
    }
    alert.state = 'acknowledged';
    alert.acknowledged = note === undefined ? { by, at: now } : { by, note, at: now };
    return transition('acknowledged', alert, now, manual(by, note));
  }

  /**
   * Resolves an active alert by hand. Its (rule, subject) re-arms only once the clear condition is observed, so a
   * condition that still holds does not re-open at once.
   */
  resolveByHand(id: string, by: string, note: string | undefined, now: number, tr: Tracker | undefined): Transition {
    const alert = this.#mustGet(id);
    if (tr !== undefined) {
      tr.armed = false;
      tr.breachSince = null;
      tr.breachCause = null;
    }
    return this.#resolve(tr, alert, now, manual(by, note));
  }

  /** Resolves the tracker's active alert for a reason outside its condition (rule removed or disabled). */
  resolveFor(tr: Tracker, now: number, cause: Cause): Transition[] {
    const alert = tr.alertId === null ? undefined : this.#alerts.get(tr.alertId);
    return alert === undefined ? [] : [this.#resolve(tr, alert, now, cause)];
  }

  /** Re-notifies open critical alerts whose interval has passed. `renotifyMsOf` gives a rule's override. */
  renotify(now: number, renotifyMsOf: (ruleId: string) => number | undefined): Transition[] {
    const out: Transition[] = [];
    for (const alert of this.#alerts.values()) {
      if (alert.state !== 'open' || alert.severity !== 'critical') continue;
      const every = renotifyMsOf(alert.ruleId) ?? this.#opts.renotifyMs;
      if (now - alert.notifiedAt < every) continue;
      alert.notifiedAt = now;
      alert.renotifications += 1;
      out.push(transition('renotify', alert, now, { type: 'timer', ts: now, observed: now - alert.openedAt }));
    }
    return out;
  }

  #open(tr: Tracker, rule: Rule, t: number, now: number): Transition {
    const cause = tr.breachCause as Cause;
    const alert: Alert = {
      id: this.#opts.newId(),
      ruleId: rule.id,
      kind: rule.kind,
      severity: rule.severity,
      subject: { ...tr.subject },
      subjectKey: tr.subjectKey,
      state: 'open',
      since: tr.breachSince ?? t,
      openedAt: now,
      openedBy: cause,
      flapping: false,
      notifiedAt: now,
      renotifications: 0,
    };
    this.#alerts.set(alert.id, alert);
    tr.alertId = alert.id;
    tr.opens = [...tr.opens.filter((o) => o > t - this.#opts.flap.windowMs), t];
    return transition('opened', alert, now, cause);
  }

  #resolve(tr: Tracker | undefined, alert: Alert, now: number, cause: Cause): Transition {
    alert.state = 'resolved';
    alert.resolved = { at: now, cause };
    this.#alerts.delete(alert.id);
    if (tr !== undefined && tr.alertId === alert.id) tr.alertId = null;
    return transition('resolved', alert, now, cause);
  }

  #recentOpens(tr: Tracker, t: number): number {
    return tr.opens.filter((o) => o > t - this.#opts.flap.windowMs).length;
  }

  #mustGet(id: string): Alert {
    const alert = this.#alerts.get(id);
    if (alert === undefined) throw new RuleError(RuleErrorCode.ALERT_NOT_FOUND, `no active alert ${id}`);
    return alert;
  }
}

function manual(by: string, note: string | undefined): Cause {
  return note === undefined ? { type: 'manual', by } : { type: 'manual', by, note };
}

function transition(type: TransitionType, alert: Alert, at: number, cause: Cause): Transition {
  return { type, at, alert: structuredClone(alert), cause: structuredClone(cause) };
}
