/**
 * What the rules engine consumes and produces. Times are epoch milliseconds UTC. "Data time" is a reading's `ts`
 * (time of measurement); "engine time" is the injectable Clock (arrival, timers, transitions).
 */
import type { Reading } from '@ioc/protocol';
import type { RuleKind, Severity } from './schema.js';

/** The engine's notion of now; tests pass a fake. */
export interface Clock {
  /** Epoch ms UTC. */
  now(): number;
}

/** Where a reading comes from: the topic gives site and gateway, the registry district and sensor kind. */
export interface ReadingContext {
  site: string;
  gateway: string;
  /** District of the site, when the registry knows it (for rule scopes). */
  district?: string;
  /** Kind of the sensor (e.g. `pms5003`, `camera`), when the registry knows it (for rule scopes). */
  sensorKind?: string;
}

/** A gateway, for state messages. */
export interface GatewayContext {
  site: string;
  gateway: string;
  district?: string;
}

/** A site, for AQI updates. */
export interface SiteContext {
  site: string;
  district?: string;
}

/** A site's hourly VN_AQI as computed by the cloud (see @ioc/cloud/aqi). */
export interface SiteAqi {
  /** Start of the hour the AQI is for, epoch ms UTC (data time). */
  ts: number;
  /** Integer AQI, or null when the hour has no AQI (not enough PM data). */
  aqi: number | null;
}

/** What an alert is about. Fields are filled from the site down as far as the rule kind goes. */
export interface Subject {
  site: string;
  gateway?: string;
  sensor?: string;
  metric?: string;
}

/** One reading with where it came from, as carried in a cause. */
export interface SourcedReading extends Reading {
  site: string;
  gateway: string;
}

/** What made a transition happen. `observed` is the value the rule compared (a mean, a change, a count…). */
export type Cause =
  | { type: 'reading'; reading: SourcedReading; observed: number }
  | { type: 'state'; site: string; gateway: string; online: boolean; dropped?: number; observed?: number }
  | { type: 'aqi'; site: string; ts: number; aqi: number | null; observed?: number }
  /** A timer fired at `ts` (engine time): a duration or hold time elapsed, silence, re-notification. */
  | { type: 'timer'; ts: number; observed?: number }
  /** A person acknowledged or resolved the alert. */
  | { type: 'manual'; by: string; note?: string }
  /** The rule was removed or disabled, or changed so that it no longer applies to the subject (kind, metric, scope). */
  | { type: 'rule'; ruleId: string; reason: 'removed' | 'disabled' | 'changed' };

/** open → acknowledged → resolved; open → resolved. A resolved alert never changes again. */
export type AlertState = 'open' | 'acknowledged' | 'resolved';

/** An alert: at most one active (open or acknowledged) per (rule, subject). */
export interface Alert {
  /** Unique id (engine `newId`, a UUID by default). */
  id: string;
  ruleId: string;
  kind: RuleKind;
  severity: Severity;
  subject: Subject;
  /** `site/gateway/sensor/metric`, as far as the subject goes. */
  subjectKey: string;
  state: AlertState;
  /** When the condition began (data time for readings, engine time for timers). */
  since: number;
  /** Engine time of opening. */
  openedAt: number;
  /** The observation that opened it. */
  openedBy: Cause;
  acknowledged?: { by: string; note?: string; at: number };
  resolved?: { at: number; cause: Cause };
  /** True once it opened and cleared too often (see FlapOptions): it then resolves only after being stable. */
  flapping: boolean;
  /** Engine time of the last notification (opening or re-notification). */
  notifiedAt: number;
  /** Re-notifications sent so far. */
  renotifications: number;
}

/** `opened`, `acknowledged`, `resolved`, `flapping` (marked flapping instead of resolving), `renotify`. */
export type TransitionType = 'opened' | 'acknowledged' | 'resolved' | 'flapping' | 'renotify';

/** One change of an alert, to be stored and delivered (SSE, webhooks, MQTT). */
export interface Transition {
  type: TransitionType;
  /** Engine time of the transition. */
  at: number;
  /** The alert after the transition (a copy). */
  alert: Alert;
  /** What caused it. */
  cause: Cause;
}
