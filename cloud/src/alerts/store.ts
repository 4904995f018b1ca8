import Database from 'better-sqlite3';
import type { Alert, AlertEvent, AlertFilter, AlertState, AlertTransition } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id           TEXT PRIMARY KEY,
  rule_id      TEXT NOT NULL,
  rule_name    TEXT NOT NULL,
  severity     TEXT NOT NULL,
  subject      TEXT NOT NULL,
  site         TEXT NOT NULL,
  state        TEXT NOT NULL,
  message      TEXT NOT NULL,
  flapping     INTEGER NOT NULL DEFAULT 0,
  opened_at    INTEGER NOT NULL,
  acked_at     INTEGER,
  acked_by     TEXT,
  ack_note     TEXT,
  resolved_at  INTEGER,
  resolved_by  TEXT,
  last_event   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_site_opened ON alerts (site, opened_at);
CREATE TABLE IF NOT EXISTS engine_snapshot (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  body     TEXT NOT NULL,
  saved_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id TEXT NOT NULL,
  body     TEXT NOT NULL
);
`;

interface AlertRow {
  id: string; rule_id: string; rule_name: string; severity: Alert['severity']; subject: string; state: AlertState; message: string;
  flapping: number; opened_at: number; acked_at: number | null; acked_by: string | null; ack_note: string | null;
  resolved_at: number | null; resolved_by: string | null; last_event: number;
}

const toAlert = (r: AlertRow): Alert => ({
  id: r.id, ruleId: r.rule_id, ruleName: r.rule_name, severity: r.severity, subject: JSON.parse(r.subject) as Alert['subject'],
  state: r.state, message: r.message, flapping: r.flapping === 1, openedAt: r.opened_at, acknowledgedAt: r.acked_at,
  acknowledgedBy: r.acked_by, ackNote: r.ack_note, resolvedAt: r.resolved_at, resolvedBy: r.resolved_by, lastEventId: r.last_event,
});

/**
 * Alerts and their full history in SQLite (WAL, synchronous=FULL: an alert the IOC was told about is
 * never forgotten by a crash). Every transition gets a monotonic event id: the SSE stream's id, and
 * the point from which a reconnecting client is replayed what it missed.
 */
export class AlertStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
  }

  close(): void {
    this.#db.close();
  }

  /** Stores a transition and updates the alert's current view, atomically; returns it with its event id. */
  record(t: AlertTransition): AlertEvent {
    return this.#db.transaction(() => {
      const { lastInsertRowid } = this.#db.prepare('INSERT INTO alert_events (alert_id, body) VALUES (?, ?)').run(t.alertId, JSON.stringify(t));
      const id = Number(lastInsertRowid);
      const p = {
        id: t.alertId, rule_id: t.ruleId, rule_name: t.ruleName, severity: t.severity, subject: JSON.stringify(t.subject), site: t.subject.site,
        state: t.state, message: t.message, at: t.at, actor: t.actor ?? null, note: t.note ?? null, event: id,
        flapping: t.type === 'flapping' ? 1 : null,
      };
      this.#db
        .prepare(`INSERT INTO alerts (id, rule_id, rule_name, severity, subject, site, state, message, flapping, opened_at, last_event)
                  VALUES (@id, @rule_id, @rule_name, @severity, @subject, @site, @state, @message, coalesce(@flapping, 0), @at, @event)
                  ON CONFLICT(id) DO UPDATE SET state = @state, message = @message, severity = @severity, last_event = @event,
                    flapping = coalesce(@flapping, flapping),
                    acked_at = CASE WHEN @state = 'acknowledged' AND acked_at IS NULL THEN @at ELSE acked_at END,
                    acked_by = CASE WHEN @state = 'acknowledged' AND acked_at IS NULL THEN @actor ELSE acked_by END,
                    ack_note = CASE WHEN @state = 'acknowledged' AND acked_at IS NULL THEN @note ELSE ack_note END,
                    resolved_at = CASE WHEN @state = 'resolved' THEN @at ELSE resolved_at END,
                    resolved_by = CASE WHEN @state = 'resolved' THEN @actor ELSE resolved_by END`)
        .run(p);
      return { ...t, id };
    })();
  }

  get(id: string): Alert | undefined {
    const row = this.#db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return row && toAlert(row);
  }

  list(f: AlertFilter = {}): Alert[] {
    const rows = this.#db
      .prepare(`SELECT * FROM alerts WHERE
                  (@state IS NULL OR state = @state OR (@state = 'active' AND state != 'resolved'))
                  AND (@severity IS NULL OR severity = @severity) AND (@site IS NULL OR site = @site)
                  AND (@from IS NULL OR opened_at >= @from) AND (@to IS NULL OR opened_at < @to)
                ORDER BY opened_at DESC, id LIMIT @limit`)
      .all({ state: f.state ?? null, severity: f.severity ?? null, site: f.site ?? null, from: f.from ?? null, to: f.to ?? null, limit: f.limit ?? 500 }) as AlertRow[];
    return rows.map(toAlert);
  }

  /** Events with an id greater than `afterId`, oldest first (SSE replay, webhook catch-up). */
  eventsAfter(afterId: number, limit = 1000): AlertEvent[] {
    const rows = this.#db.prepare('SELECT id, body FROM alert_events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as { id: number; body: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.body) as AlertTransition), id: r.id }));
  }

  /** Every transition of one alert, oldest first. */
  history(alertId: string): AlertEvent[] {
    const rows = this.#db.prepare('SELECT id, body FROM alert_events WHERE alert_id = ? ORDER BY id').all(alertId) as { id: number; body: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.body) as AlertTransition), id: r.id }));
  }

  /** The rules engine's state (open alerts, pending durations), saved so a restart resumes it. */
  saveSnapshot(body: unknown, at: number): void {
    this.#db.prepare('INSERT INTO engine_snapshot (id, body, saved_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at').run(JSON.stringify(body), at);
  }

  loadSnapshot(): unknown {
    const row = this.#db.prepare('SELECT body FROM engine_snapshot WHERE id = 1').get() as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as unknown) : undefined;
  }

  lastEventId(): number {
    return (this.#db.prepare('SELECT coalesce(max(id), 0) AS id FROM alert_events').get() as { id: number }).id;
  }
}
