import Database from 'better-sqlite3';
import type {
  DeadLetter,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterPage,
  DeadLetterQuery,
  DeadLetterStats,
  DeadLetterStore,
} from './dead-letter-store.js';

export interface SqliteDeadLetterOptions {
  /** Database file (e.g. `$IOC_HOME/deadletters.db`), created if missing; `:memory:` for a throw-away store. */
  path: string;
  /** Bytes of each payload kept; default 65,536 (64 KiB). The original size is kept as well. */
  maxPayloadBytes?: number;
  /** Letters kept; the oldest beyond this are deleted (and counted). Default 100,000. */
  maxCount?: number;
  /** Age after which a letter is deleted (and counted), ms; default 30 days. */
  maxAgeMs?: number;
  /** Bounds are enforced at open and every this many letters added; default 500. */
  pruneEvery?: number;
  now?: () => number;
}

/** Stable code of a call on a closed store. */
export const DEAD_LETTERS_CLOSED = 'IOC_ERR_DEADLETTERS_CLOSED';

const DAY_MS = 86_400_000;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1_000;
/** Longest topic and message text kept, characters (an MQTT topic may be 65,535 bytes). */
const MAX_TEXT = 2_000;

/**
 * Schema migrations, applied in order at open inside one transaction each; PRAGMA user_version records how many ran.
 * Never edit a migration that has shipped: append one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    topic         TEXT NOT NULL,
    site          TEXT,
    gateway       TEXT,
    code          TEXT NOT NULL,
    path          TEXT NOT NULL,
    message       TEXT NOT NULL,
    payload       BLOB NOT NULL,
    payload_bytes INTEGER NOT NULL
  );
  CREATE INDEX dead_letters_at ON dead_letters (at);
  CREATE INDEX dead_letters_code ON dead_letters (code, id);
  CREATE INDEX dead_letters_gateway ON dead_letters (gateway, site, id);
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO counters (name, value) VALUES ('pruned', 0);
  `,
];

interface Row {
  id: number;
  at: number;
  topic: string;
  site: string | null;
  gateway: string | null;
  code: string;
  path: string;
  message: string;
  payload: Buffer;
  payload_bytes: number;
}

/** Opens (creating and migrating if needed) a dead-letter store in one SQLite file (WAL). */
export function openSqliteDeadLetterStore(opts: SqliteDeadLetterOptions): DeadLetterStore {
  return new SqliteDeadLetterStore(opts);
}

class SqliteDeadLetterStore implements DeadLetterStore {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #maxPayload: number;
  readonly #maxCount: number;
  readonly #maxAgeMs: number;
  readonly #pruneEvery: number;
  readonly #insert: Database.Statement;
  #sinceLastPrune = 0;
  #closed = false;

  constructor(opts: SqliteDeadLetterOptions) {
    this.#maxPayload = positiveInteger('maxPayloadBytes', opts.maxPayloadBytes ?? 65_536);
    this.#maxCount = positiveInteger('maxCount', opts.maxCount ?? 100_000);
    this.#maxAgeMs = positiveInteger('maxAgeMs', opts.maxAgeMs ?? 30 * DAY_MS);
    this.#pruneEvery = positiveInteger('pruneEvery', opts.pruneEvery ?? 500);
    this.#now = opts.now ?? Date.now;
    this.#db = new Database(opts.path);
    this.#db.pragma('journal_mode = WAL');
    // Durable against a crash of the process (what an acknowledged message needs), not of the machine.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#insert = this.#db.prepare(
      `INSERT INTO dead_letters (at, topic, site, gateway, code, path, message, payload, payload_bytes)
       VALUES (@at, @topic, @site, @gateway, @code, @path, @message, @payload, @payloadBytes)`,
    );
    this.#prune();
  }

  add(letter: DeadLetterInput): Promise<void> {
    return this.#call(() => {
      const payload = Buffer.from(letter.payload.buffer, letter.payload.byteOffset, letter.payload.byteLength);
      this.#insert.run({
        at: letter.at,
        topic: cut(letter.topic),
        site: letter.site ?? null,
        gateway: letter.gateway ?? null,
        code: letter.code,
        path: cut(letter.path),
        message: cut(letter.message),
        payload: payload.subarray(0, this.#maxPayload),
        payloadBytes: payload.byteLength,
      });
      if (++this.#sinceLastPrune >= this.#pruneEvery) this.#prune();
    });
  }

  list(q: DeadLetterQuery = {}): Promise<DeadLetterPage> {
    return this.#call(() => {
      const limit = Math.min(positiveInteger('limit', q.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
      const where = conditions(q);
      const total = this.#countWhere(where);
      if (q.before !== undefined) where.push({ sql: 'id < ?', value: integer('before', q.before) });
      const rows = this.#db
        .prepare(`SELECT * FROM dead_letters ${whereSql(where)} ORDER BY id DESC LIMIT ?`)
        .all(...where.map((c) => c.value), limit + 1) as Row[];
      const page = rows.slice(0, limit).map(toLetter);
      const next = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
      return { letters: page, total, next };
    });
  }

  count(filter: DeadLetterFilter = {}): Promise<number> {
    return this.#call(() => this.#countWhere(conditions(filter)));
  }

  stats(): Promise<DeadLetterStats> {
    return this.#call(() => {
      const byCode: Record<string, number> = {};
      const rows = this.#db.prepare('SELECT code, COUNT(*) AS n FROM dead_letters GROUP BY code ORDER BY code').all() as {
        code: string;
        n: number;
      }[];
      for (const { code, n } of rows) byCode[code] = n;
      const span = this.#db.prepare('SELECT COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS newest FROM dead_letters').get() as {
        n: number;
        oldest: number | null;
        newest: number | null;
      };
      return { stored: span.n, byCode, pruned: this.#pruned(), oldest: span.oldest, newest: span.newest };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** Deletes letters beyond the age and count bounds, counting them. */
  #prune(): void {
    this.#sinceLastPrune = 0;
    this.#db.transaction(() => {
      const old = this.#db.prepare('DELETE FROM dead_letters WHERE at < ?').run(this.#now() - this.#maxAgeMs).changes;
      const excess = this.#db
        .prepare('DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)')
        .run(this.#maxCount).changes;
      if (old + excess > 0) {
        this.#db.prepare("UPDATE counters SET value = value + ? WHERE name = 'pruned'").run(old + excess);
      }
    })();
  }

  #pruned(): number {
    const row = this.#db.prepare("SELECT value FROM counters WHERE name = 'pruned'").get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  #countWhere(where: Condition[]): number {
    const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM dead_letters ${whereSql(where)}`).get(...where.map((c) => c.value)) as {
      n: number;
    };
    return row.n;
  }

  /** Runs a synchronous SQLite call as a promise; a closed store refuses with DEAD_LETTERS_CLOSED. */
  #call<T>(fn: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(Object.assign(new Error('the dead-letter store is closed'), { code: DEAD_LETTERS_CLOSED }));
    }
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

interface Condition {
  sql: string;
  value: string | number;
}

function conditions(f: DeadLetterFilter): Condition[] {
  const where: Condition[] = [];
  if (f.code !== undefined) where.push({ sql: 'code = ?', value: f.code });
  if (f.site !== undefined) where.push({ sql: 'site = ?', value: f.site });
  if (f.gateway !== undefined) where.push({ sql: 'gateway = ?', value: f.gateway });
  if (f.from !== undefined) where.push({ sql: 'at >= ?', value: integer('from', f.from) });
  if (f.to !== undefined) where.push({ sql: 'at < ?', value: integer('to', f.to) });
  return where;
}

function whereSql(where: Condition[]): string {
  return where.length === 0 ? '' : `WHERE ${where.map((c) => c.sql).join(' AND ')}`;
}

function toLetter(row: Row): DeadLetter {
  return {
    id: row.id,
    at: row.at,
    topic: row.topic,
    site: row.site,
    gateway: row.gateway,
    code: row.code,
    path: row.path,
    message: row.message,
    payload: row.payload,
    payloadBytes: row.payload_bytes,
  };
}

function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  MIGRATIONS.slice(applied).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${applied + i + 1}`);
    })();
  });
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function positiveInteger(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name}: must be a positive integer (got ${n})`);
  return n;
}

function integer(name: string, n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name}: must be an integer (got ${n})`);
  return n;
}
