import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { signBody } from './signature.js';
import type { AlertEvent, Severity } from './types.js';

export interface WebhookSubscriber {
  id: string;
  url: string;
  /** Only alerts at or above this severity are sent. */
  minSeverity: Severity;
  active: boolean;
  createdAt: number;
}

export interface DeliveryAttempt {
  eventId: number;
  subscriberId: string;
  attempt: number;
  at: number;
  /** HTTP status, or null when the request failed before an answer. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookOptions {
  file: string;
  log: Logger;
  now?: () => number;
  /** Per attempt. Default 5,000 ms. */
  timeoutMs?: number;
  /** Attempts before a delivery is given up (and kept, marked failed). Default 20 (≈ a day of backoff). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to maxDelayMs, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Poll period of the delivery loop when idle. Default 500 ms. */
  pollMs?: number;
  fetch?: typeof fetch;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_subscribers (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, min_severity TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  event_id INTEGER NOT NULL, subscriber_id TEXT NOT NULL, body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  PRIMARY KEY (event_id, subscriber_id)
);
CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries (state, next_at);
CREATE TABLE IF NOT EXISTS webhook_attempts (
  event_id INTEGER NOT NULL, subscriber_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL,
  status INTEGER, error TEXT, duration_ms INTEGER NOT NULL
);
`;

/**
 * Signed webhooks with durable retries: a delivery is queued in SQLite in the same moment the alert
 * event is handed over, so neither a receiver that is down nor a cloud restart loses one. Each
 * attempt is logged. The subscriber's secret is shown once, at creation.
 */
export class WebhookDispatcher {
  readonly #db: Database.Database;
  readonly #o: Required<Omit<WebhookOptions, 'file' | 'log'>> & { log: Logger };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(opts: WebhookOptions) {
    this.#db = new Database(opts.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#o = {
      log: opts.log, now: opts.now ?? Date.now, timeoutMs: opts.timeoutMs ?? 5000, maxAttempts: opts.maxAttempts ?? 20,
      baseDelayMs: opts.baseDelayMs ?? 1000, maxDelayMs: opts.maxDelayMs ?? 3_600_000, pollMs: opts.pollMs ?? 500, fetch: opts.fetch ?? fetch,
    };
  }

  addSubscriber(url: string, minSeverity: Severity = 'warning'): { subscriber: WebhookSubscriber; secret: string } {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw Object.assign(new Error(`webhook url must be http(s): ${url}`), { code: 'IOC_ERR_BAD_REQUEST' });
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    this.#db.prepare('INSERT INTO webhook_subscribers (id, url, secret, min_severity, created_at) VALUES (?, ?, ?, ?, ?)').run(id, url, secret, minSeverity, this.#o.now());
    return { subscriber: this.subscriber(id)!, secret };
  }

  subscriber(id: string): WebhookSubscriber | undefined {
    const r = this.#db.prepare('SELECT id, url, min_severity, active, created_at FROM webhook_subscribers WHERE id = ?').get(id) as
      | { id: string; url: string; min_severity: Severity; active: number; created_at: number }
      | undefined;
    return r && { id: r.id, url: r.url, minSeverity: r.min_severity, active: r.active === 1, createdAt: r.created_at };
  }

  subscribers(): WebhookSubscriber[] {
    const ids = this.#db.prepare('SELECT id FROM webhook_subscribers ORDER BY created_at').all() as { id: string }[];
    return ids.map((r) => this.subscriber(r.id)!);
  }

  removeSubscriber(id: string): boolean {
    return this.#db.prepare('UPDATE webhook_subscribers SET active = 0 WHERE id = ? AND active = 1').run(id).changes > 0;
  }

  /** Queues the event for every active subscriber whose severity filter admits it. Durable on return. */
  enqueue(event: AlertEvent): void {
    const body = JSON.stringify({ id: event.id, type: event.type, alert: event });
    const subs = this.subscribers().filter((s) => s.active && RANK[event.severity] >= RANK[s.minSeverity]);
    const insert = this.#db.prepare('INSERT OR IGNORE INTO webhook_deliveries (event_id, subscriber_id, body, next_at) VALUES (?, ?, ?, ?)');
    this.#db.transaction(() => subs.forEach((s) => insert.run(event.id, s.id, body, this.#o.now())))();
    this.#kick();
  }

  attempts(filter: { subscriberId?: string; eventId?: number } = {}): DeliveryAttempt[] {
    const rows = this.#db
      .prepare(`SELECT * FROM webhook_attempts WHERE (@s IS NULL OR subscriber_id = @s) AND (@e IS NULL OR event_id = @e) ORDER BY at, attempt`)
      .all({ s: filter.subscriberId ?? null, e: filter.eventId ?? null }) as { event_id: number; subscriber_id: string; attempt: number; at: number; status: number | null; error: string | null; duration_ms: number }[];
    return rows.map((r) => ({ eventId: r.event_id, subscriberId: r.subscriber_id, attempt: r.attempt, at: r.at, status: r.status, error: r.error, durationMs: r.duration_ms }));
  }

  /** Counts by state: pending, delivered, failed. */
  counts(): Record<'pending' | 'delivered' | 'failed', number> {
    const out = { pending: 0, delivered: 0, failed: 0 };
    for (const r of this.#db.prepare('SELECT state, count(*) AS n FROM webhook_deliveries GROUP BY state').all() as { state: keyof typeof out; n: number }[]) out[r.state] = r.n;
    return out;
  }

  start(): void {
    this.#stopped = false;
    this.#kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#db.close();
  }

  #kick(): void {
    if (this.#stopped || this.#running) return;
    clearTimeout(this.#timer);
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (!this.#stopped) this.#timer = setTimeout(() => this.#kick(), this.#o.pollMs);
    });
  }

  /** Delivers everything due, a few at a time, until nothing is due. */
  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const due = this.#db
        .prepare(`SELECT d.event_id, d.subscriber_id, d.body, d.attempts, s.url, s.secret FROM webhook_deliveries d
                  JOIN webhook_subscribers s ON s.id = d.subscriber_id
                  WHERE d.state = 'pending' AND d.next_at <= ? AND s.active = 1 ORDER BY d.event_id LIMIT 8`)
        .all(this.#o.now()) as { event_id: number; subscriber_id: string; body: string; attempts: number; url: string; secret: string }[];
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.#attempt(d)));
    }
  }

  async #attempt(d: { event_id: number; subscriber_id: string; body: string; attempts: number; url: string; secret: string }): Promise<void> {
    const started = this.#o.now();
    const attempt = d.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.#o.fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ioc-event-id': String(d.event_id), 'x-ioc-signature': signBody(d.secret, d.body, started) },
        body: d.body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const now = this.#o.now();
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO webhook_attempts (event_id, subscriber_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(d.event_id, d.subscriber_id, attempt, started, status, error, now - started);
      const delay = Math.min(this.#o.baseDelayMs * 2 ** (attempt - 1), this.#o.maxDelayMs);
      const state = error === null ? 'delivered' : attempt >= this.#o.maxAttempts ? 'failed' : 'pending';
      this.#db
        .prepare('UPDATE webhook_deliveries SET attempts = ?, state = ?, next_at = ? WHERE event_id = ? AND subscriber_id = ?')
        .run(attempt, state, now + Math.round(delay * (0.5 + Math.random() / 2)), d.event_id, d.subscriber_id);
    })();
    if (error) this.#o.log.warn({ url: d.url, eventId: d.event_id, attempt, error }, 'webhook delivery failed; will retry');
  }
}
