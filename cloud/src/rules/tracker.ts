/**
 * The condition state of one (rule, subject): plain data, so the engine can snapshot it as JSON and a restart
 * resumes pending durations and hold times exactly where they were.
 */
import type { Bucket } from './window.js';
import type { Cause, Subject } from './types.js';

/** What one observation says about a rule's condition. */
export type Signal =
  /** The trigger condition holds (e.g. value above the threshold). */
  | 'trigger'
  /** The clear condition holds (e.g. value at or below the clear threshold). */
  | 'clear'
  /** Neither: between the clear and trigger thresholds (hysteresis band). Interrupts a pending duration or hold. */
  | 'neutral'
  /** Nothing can be said (e.g. not enough data in a rolling window): changes nothing. */
  | 'unknown';

/** Per-kind memory, all optional; each kind uses its own fields. */
export interface KindMemory {
  /** rolling_mean, rate_of_change. */
  buckets?: Bucket[];
  /** stuck: last value and how many readings in a row had it. */
  lastValue?: number;
  repeats?: number;
  /** camera_offline: consecutive zeros. */
  zeros?: number;
  /** outbox_drops: last reported `outbox.dropped`, and engine time of the last increase. */
  lastDropped?: number;
  lastIncreaseAt?: number;
}

export interface Tracker {
  ruleId: string;
  /** JSON of the rule this state was built for; a changed rule resets the condition (not the alert). */
  fingerprint: string;
  subject: Subject;
  subjectKey: string;
  /** Scope attributes last seen with the subject (for tick-time scope checks after a rule edit). */
  district?: string;
  sensorKind?: string;
  /** Start of the current continuous trigger condition, or null. */
  breachSince: number | null;
  /** Latest observation that held the trigger condition. */
  breachCause: Cause | null;
  /** Start of the current continuous clear condition (while an alert is active), or null. */
  clearSince: number | null;
  clearCause: Cause | null;
  /** The active alert of this (rule, subject), if any. */
  alertId: string | null;
  /** False after a manual resolve, until the clear condition is observed once (no instant re-open). */
  armed: boolean;
  /** Times the recent alerts opened (for flap detection), oldest first. */
  opens: number[];
  /** Latest reading ts seen (data time); readings not newer than it are ignored. Null when none. */
  lastTs: number | null;
  /** Engine time of the latest sign of life (reading or state) of the subject. */
  lastSeen: number;
  mem: KindMemory;
}

export function newTracker(ruleId: string, fingerprint: string, subject: Subject, subjectKey: string, now: number): Tracker {
  return {
    ruleId,
    fingerprint,
    subject,
    subjectKey,
    breachSince: null,
    breachCause: null,
    clearSince: null,
    clearCause: null,
    alertId: null,
    armed: true,
    opens: [],
    lastTs: null,
    lastSeen: now,
    mem: {},
  };
}

/** Records one observation made at time t. */
export function observe(tr: Tracker, signal: Signal, t: number, cause: Cause): void {
  switch (signal) {
    case 'trigger':
      tr.breachSince ??= t;
      tr.breachCause = cause;
      tr.clearSince = null;
      tr.clearCause = null;
      return;
    case 'clear':
      tr.clearSince ??= t;
      tr.clearCause = cause;
      tr.breachSince = null;
      tr.breachCause = null;
      tr.armed = true;
      return;
    case 'neutral':
      tr.breachSince = null;
      tr.breachCause = null;
      tr.clearSince = null;
      tr.clearCause = null;
      return;
    case 'unknown':
      return;
  }
}

/** Forgets the condition (after a rule change), keeping the alert, the flap history and the liveness. */
export function resetCondition(tr: Tracker, fingerprint: string): void {
  observe(tr, 'neutral', 0, { type: 'timer', ts: 0 });
  tr.fingerprint = fingerprint;
  tr.lastTs = null;
  tr.mem = {};
}
