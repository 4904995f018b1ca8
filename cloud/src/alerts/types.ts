/** The alert model the IOC sees: what the rules engine decided, stored and delivered. */
export type Severity = 'info' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';

/** What an alert is about: a site always; a gateway, sensor, metric or camera where the rule is that precise. */
export interface AlertSubject {
  site: string;
  gateway?: string;
  sensor?: string;
  metric?: string;
  camera?: string;
}

/** The reading (or state message) that caused a transition. */
export interface CauseReading {
  sensor?: string;
  metric?: string;
  ts: number;
  value?: number;
}

/** One step of an alert's life; each is stored, numbered, and delivered once to every channel. */
export interface AlertTransition {
  alertId: string;
  type: 'opened' | 'acknowledged' | 'resolved' | 'renotified' | 'flapping' | 'updated';
  ruleId: string;
  ruleName: string;
  severity: Severity;
  subject: AlertSubject;
  /** State of the alert after this transition. */
  state: AlertState;
  /** Epoch ms of the transition (the engine's clock). */
  at: number;
  /** A sentence for people, e.g. "PM2.5 above 150 µg/m³ for 10 min (peak 182)". */
  message: string;
  /** Who acknowledged/resolved by hand; absent for automatic transitions. */
  actor?: string;
  note?: string;
  cause?: CauseReading;
}

/** A transition as stored: `id` is the stream's event id (monotonic), usable as SSE Last-Event-ID. */
export interface AlertEvent extends AlertTransition {
  id: number;
}

/** The current view of one alert. */
export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  subject: AlertSubject;
  state: AlertState;
  message: string;
  flapping: boolean;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  lastEventId: number;
}

export interface AlertFilter {
  state?: AlertState | 'active';
  severity?: Severity;
  site?: string;
  /** Opened at or after, epoch ms. */
  from?: number;
  /** Opened before, epoch ms. */
  to?: number;
  limit?: number;
}
