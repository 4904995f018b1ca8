import { mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Quality, Reading } from '@ioc/protocol';
import { checkLimits, READING_OVERHEAD_BYTES, readingBytes, type Outbox, type OutboxLimits, type OutboxSlice, type OutboxStats } from './outbox.js';

/**
 * `full`: every append is fsynced before it returns (survives a power cut). `normal`: appends reach the OS before
 * they return (survive `kill -9`, not a power cut: the last ~second of appends may be lost). See README.md.
 */
export type OutboxSync = 'full' | 'normal';

export interface SqliteOutboxOptions extends OutboxLimits {
  /** The database file, e.g. `/var/lib/ioc-edge/outbox.db`; its folder is created if missing. */
  file: string;
  /** Durability of appends; removals and seq are always `normal` (losing one only causes a harmless resend). */
  sync: OutboxSync;
  /** Told when a damaged database file was moved aside and a new one started. */
  onCorrupt?(movedTo: string, err: Error): void;
}

const SCHEMA_VERSION = 1;
const QUALITY: readonly Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
/** SQLite result codes meaning the file is not a usable database. */
const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

type Row = [pos: number, sensor: string, metric: string, ts: number, value: number, quality: number];

/** An error of the outbox's storage, with the SQLite error as cause. */
export function outboxError(code: 'IOC_ERR_OUTBOX_IO' | 'IOC_ERR_OUTBOX_LOCKED', message: string, cause?: unknown): Error & { code: string } {
  return Object.assign(new Error(message, { cause }), { code });
}

/**
 * The durable outbox: one SQLite database in WAL mode, one row per reading keyed by its position, plus a `meta`
 * table holding the drop counter and the telemetry seq. Opened with an exclusive lock: a second agent on the same
 * data dir fails with IOC_ERR_OUTBOX_LOCKED instead of sending the same readings twice.
 *
 * Counters (pending, bytes, end) live in memory and are rebuilt from the table at open; they change only after the
 * transaction that changes the table has committed.
 */
export class SqliteOutbox implements Outbox {
  readonly #db: Database.Database;
  readonly #limits: OutboxLimits;
  readonly #sync: OutboxSync;
  #syncNow: OutboxSync | undefined;
  #end = 0;
  #pending = 0;
  #bytes = 0;
  #dropped = 0;
  #waiters: { after: number; wake: () => void }[] = [];
  readonly #sql: ReturnType<typeof prepare>;
  readonly #appendTx: (readings: readonly Reading[]) => { dropped: number; droppedBytes: number };

  constructor(opts: SqliteOutboxOptions) {
    this.#limits = checkLimits({ maxReadings: opts.maxReadings, maxBytes: opts.maxBytes });
    this.#sync = opts.sync;
    this.#db = openDatabase(opts);
    this.#sql = prepare(this.#db);
    const counts = this.#sql.counts.get() as { n: number; ids: number; last: number | null };
    this.#pending = counts.n;
    this.#bytes = counts.ids + counts.n * READING_OVERHEAD_BYTES;
    this.#end = counts.last === null ? 0 : counts.last + 1;
    this.#dropped = this.#meta('dropped');
    this.#appendTx = this.#db.transaction((readings: readonly Reading[]) => this.#insert(readings));
  }

  append(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    this.#setSync(this.#sync);
    let result: { dropped: number; droppedBytes: number };
    try {
      result = this.#appendTx(readings);
    } catch (err) {
      throw outboxError('IOC_ERR_OUTBOX_IO', `outbox append failed: ${(err as Error).message}`, err);
    }
    let added = 0;
    for (const r of readings) added += readingBytes(r);
    this.#end += readings.length;
    this.#pending += readings.length - result.dropped;
    this.#bytes += added - result.droppedBytes;
    this.#dropped += result.dropped;
    const end = this.#end;
    this.#waiters = this.#waiters.filter((w) => (end > w.after ? (w.wake(), false) : true));
  }

  read(from: number, max: number, before = this.#end): OutboxSlice {
    const stop = Math.min(before, this.#end);
    const rows = this.#sql.read.all(from, stop, max) as Row[];
    const readings = rows.map(([, sensor, metric, ts, value, q]) => ({ sensor, metric, ts, value, quality: QUALITY[q] ?? 'good' }));
    const last = rows[rows.length - 1];
    const next = rows.length < max || !last ? Math.max(from, stop) : last[0] + 1;
    return { readings, first: rows[0]?.[0] ?? next, next };
  }

  remove(first: number, next: number): void {
    this.#setSync('normal');
    let idBytes: number[];
    try {
      idBytes = this.#sql.remove.all(first, next) as number[];
    } catch (err) {
      throw outboxError('IOC_ERR_OUTBOX_IO', `outbox remove failed: ${(err as Error).message}`, err);
    }
    let sum = 0;
    for (const b of idBytes) sum += b;
    this.#pending -= idBytes.length;
    this.#bytes -= sum + idBytes.length * READING_OVERHEAD_BYTES;
  }

  end(): number {
    return this.#end;
  }

  stats(): OutboxStats {
    return { pending: this.#pending, bytes: this.#bytes, dropped: this.#dropped };
  }

  whenAppended(after: number): Promise<void> {
    if (this.#end > after) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ after, wake }));
  }

  nextSeq(): number {
    this.#setSync('normal');
    return this.#sql.nextSeq.get() as number;
  }

  close(): void {
    for (const w of this.#waiters.splice(0)) w.wake();
    if (this.#db.open) this.#db.close();
  }

  /** Inside the append transaction: inserts, then drops the oldest while a bound is exceeded. */
  #insert(readings: readonly Reading[]): { dropped: number; droppedBytes: number } {
    let pos = this.#end;
    let bytes = this.#bytes;
    for (const r of readings) {
      this.#sql.insert.run(pos, r.sensor, r.metric, r.ts, r.value, QUALITY_CODE[r.quality] ?? 0);
      pos += 1;
      bytes += readingBytes(r);
    }
    const pending = this.#pending + readings.length;
    const excessRows = pending - this.#limits.maxReadings;
    const excessBytes = bytes - this.#limits.maxBytes;
    if (excessRows <= 0 && excessBytes <= 0) return { dropped: 0, droppedBytes: 0 };
    let dropped = 0;
    let droppedBytes = 0;
    let lastPos = -1;
    for (const [p, ids] of this.#sql.oldest.iterate() as IterableIterator<[number, number]>) {
      if (dropped >= excessRows && droppedBytes >= excessBytes) break;
      lastPos = p;
      dropped += 1;
      droppedBytes += ids + READING_OVERHEAD_BYTES;
    }
    this.#sql.dropUpTo.run(lastPos);
    this.#sql.addMeta.run(dropped, 'dropped');
    return { dropped, droppedBytes };
  }

  #meta(key: string): number {
    return (this.#sql.getMeta.get(key) as number | undefined) ?? 0;
  }

  /** PRAGMA synchronous applies to the next commit; switching costs one statement, so only when it changes. */
  #setSync(level: OutboxSync): void {
    if (this.#syncNow === level) return;
    this.#db.pragma(`synchronous = ${level === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#syncNow = level;
  }
}

function prepare(db: Database.Database) {
  return {
    counts: db.prepare('SELECT count(*) AS n, coalesce(sum(length(sensor) + length(metric)), 0) AS ids, max(pos) AS last FROM readings'),
    insert: db.prepare('INSERT INTO readings (pos, sensor, metric, ts, value, quality) VALUES (?, ?, ?, ?, ?, ?)'),
    read: db.prepare('SELECT pos, sensor, metric, ts, value, quality FROM readings WHERE pos >= ? AND pos < ? ORDER BY pos LIMIT ?').raw(),
    remove: db.prepare('DELETE FROM readings WHERE pos >= ? AND pos < ? RETURNING length(sensor) + length(metric)').pluck(),
    oldest: db.prepare('SELECT pos, length(sensor) + length(metric) FROM readings ORDER BY pos').raw(),
    dropUpTo: db.prepare('DELETE FROM readings WHERE pos <= ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    addMeta: db.prepare('UPDATE meta SET value = value + ? WHERE key = ?'),
    nextSeq: db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value").pluck(),
  };
}

/** Opens (creating if needed) and locks the database; a damaged file is moved aside and a new one started. */
function openDatabase(opts: SqliteOutboxOptions): Database.Database {
  mkdirSync(path.dirname(opts.file), { recursive: true });
  try {
    return initialise(new Database(opts.file, { timeout: 100 }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!CORRUPT.has(code)) throw mapOpenError(err, opts.file);
    const movedTo = `${opts.file}.corrupt-${Date.now()}`;
    renameSync(opts.file, movedTo);
    opts.onCorrupt?.(movedTo, err as Error);
    return initialise(new Database(opts.file, { timeout: 100 }));
  }
}

function mapOpenError(err: unknown, file: string): Error {
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return outboxError('IOC_ERR_OUTBOX_LOCKED', `${file} is in use by another process (is another agent running on this data dir?)`, err);
  }
  return outboxError('IOC_ERR_OUTBOX_IO', `cannot open outbox ${file}: ${(err as Error).message}`, err);
}

function initialise(db: Database.Database): Database.Database {
  try {
    // EXCLUSIVE locking: the lock taken by the first write below is held until close (and released by the OS
    // when the process dies, kill -9 included); in WAL mode it also keeps the WAL index off shared memory.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('journal_size_limit = 4194304');
    db.exec(`
      CREATE TABLE IF NOT EXISTS readings (
        pos INTEGER PRIMARY KEY,
        sensor TEXT NOT NULL,
        metric TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        quality INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0), ('dropped', 0);
    `);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw outboxError('IOC_ERR_OUTBOX_IO', `outbox schema ${version} is newer than this agent's (${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
