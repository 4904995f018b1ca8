import Database from 'better-sqlite3';
import { isValidId } from '@ioc/protocol';
import { CloudError } from '../errors.js';
import { migrations } from './migrations.js';
import { generateSecret, hashSecret, tokenDigest, verifySecret } from './secrets.js';

export interface Site { id: string; nameVi: string | null; nameEn: string | null; createdAt: number }
export interface Gateway { id: string; site: string; createdAt: number; rotatedAt: number | null; revokedAt: number | null }
export type ServiceRole = 'ingest' | 'observer';
export type ApiRole = 'admin' | 'reader';

/** Result of checking MQTT credentials; shaped to satisfy the broker's CredentialVerifier. */
export type MqttCredentialCheck =
  | { ok: true; principal: { kind: 'gateway'; site: string; gateway: string } | { kind: 'service'; name: string; role: ServiceRole } }
  | { ok: false; reason: 'unknown' | 'bad_secret' | 'revoked' };

/** A dummy hash so that unknown usernames cost the same scrypt work as known ones (no user enumeration by timing). */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function requireId(kind: string, id: string): void {
  if (!isValidId(id)) {
    throw new CloudError('IOC_ERR_INVALID_ID', `${kind} id ${JSON.stringify(id)} is invalid: use 1–64 of a-z 0-9 _ -, starting with a letter or digit`);
  }
}

/**
 * The registry of sites, gateways and credentials, embedded in SQLite (WAL, so the CLI can provision
 * while `ioc up` runs). Every change is written to the audit log in the same transaction.
 */
export class Registry {
  readonly #db: Database.Database;
  readonly #now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens (creating if needed) the registry file and applies pending migrations. */
  static open(file: string, opts: { now?: () => number } = {}): Registry {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return new Registry(db, opts.now ?? Date.now);
  }

  close(): void {
    this.#db.close();
  }

  /** A cheap liveness check for /health. */
  ping(): boolean {
    return this.#db.prepare('SELECT 1 AS one').get() !== undefined;
  }

  #audit(actor: string, action: string, subject: string, detail?: unknown): void {
    this.#db
      .prepare('INSERT INTO audit (ts, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
      .run(this.#now(), actor, action, subject, detail === undefined ? null : JSON.stringify(detail));
  }

  /** Creates the site if it does not exist; returns it either way. */
  ensureSite(id: string, actor: string, names: { vi?: string; en?: string } = {}): Site {
    requireId('site', id);
    return this.#db.transaction(() => {
      const found = this.getSite(id);
      if (found) return found;
      const createdAt = this.#now();
      this.#db
        .prepare('INSERT INTO sites (id, name_vi, name_en, created_at) VALUES (?, ?, ?, ?)')
        .run(id, names.vi ?? null, names.en ?? null, createdAt);
      this.#audit(actor, 'site.create', id, names);
      return { id, nameVi: names.vi ?? null, nameEn: names.en ?? null, createdAt };
    })();
  }

  getSite(id: string): Site | undefined {
    const row = this.#db.prepare('SELECT id, name_vi, name_en, created_at FROM sites WHERE id = ?').get(id) as
      | { id: string; name_vi: string | null; name_en: string | null; created_at: number }
      | undefined;
    return row && { id: row.id, nameVi: row.name_vi, nameEn: row.name_en, createdAt: row.created_at };
  }

  getGateway(id: string): Gateway | undefined {
    const row = this.#db
      .prepare('SELECT id, site_id, created_at, rotated_at, revoked_at FROM gateways WHERE id = ?')
      .get(id) as { id: string; site_id: string; created_at: number; rotated_at: number | null; revoked_at: number | null } | undefined;
    return row && { id: row.id, site: row.site_id, createdAt: row.created_at, rotatedAt: row.rotated_at, revokedAt: row.revoked_at };
  }

  listGateways(): Gateway[] {
    const rows = this.#db.prepare('SELECT id FROM gateways ORDER BY site_id, id').all() as { id: string }[];
    return rows.map((r) => this.getGateway(r.id)).filter((g): g is Gateway => g !== undefined);
  }

  /**
   * Provisions a gateway in an existing site and returns its MQTT secret, which is shown once and
   * stored only hashed. IOC_ERR_EXISTS if the id is taken (by a gateway or a service account).
   */
  async createGateway(site: string, id: string, actor: string): Promise<{ gateway: Gateway; secret: string }> {
    requireId('gateway', id);
    if (!this.getSite(site)) throw new CloudError('IOC_ERR_NOT_FOUND', `site ${site} does not exist`);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.#db.transaction(() => {
      if (this.#usernameTaken(id)) throw new CloudError('IOC_ERR_EXISTS', `gateway ${id} already exists: rotate its secret instead`);
      this.#db
        .prepare('INSERT INTO gateways (id, site_id, secret_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(id, site, hash, this.#now());
      this.#audit(actor, 'gateway.create', id, { site });
    })();
    return { gateway: this.getGateway(id)!, secret };
  }

  /** Issues a new secret for a gateway (the old one stops working at once) and lifts a revocation. */
  async rotateGatewaySecret(id: string, actor: string): Promise<{ gateway: Gateway; secret: string }> {
    if (!this.getGateway(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.#db.transaction(() => {
      this.#db
        .prepare('UPDATE gateways SET secret_hash = ?, rotated_at = ?, revoked_at = NULL WHERE id = ?')
        .run(hash, this.#now(), id);
      this.#audit(actor, 'gateway.rotate', id);
    })();
    return { gateway: this.getGateway(id)!, secret };
  }

  revokeGateway(id: string, actor: string): void {
    const changed = this.#db.transaction(() => {
      const res = this.#db.prepare('UPDATE gateways SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.#now(), id);
      if (res.changes > 0) this.#audit(actor, 'gateway.revoke', id);
      return res.changes;
    })();
    if (changed === 0 && !this.getGateway(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
  }

  /** Creates or re-keys a service account (the cloud ingest, an observer flow) and returns its new secret. */
  async issueServiceSecret(name: string, role: ServiceRole, actor: string): Promise<string> {
    requireId('service account', name);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.#db.transaction(() => {
      if (this.getGateway(name)) throw new CloudError('IOC_ERR_EXISTS', `${name} is a gateway id`);
      this.#db
        .prepare(`INSERT INTO service_accounts (name, role, secret_hash, created_at) VALUES (?, ?, ?, ?)
                  ON CONFLICT(name) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash, revoked_at = NULL`)
        .run(name, role, hash, this.#now());
      this.#audit(actor, 'service.issue', name, { role });
    })();
    return secret;
  }

  #usernameTaken(name: string): boolean {
    return (
      this.#db.prepare('SELECT 1 FROM gateways WHERE id = ? UNION ALL SELECT 1 FROM service_accounts WHERE name = ?').get(name, name) !==
      undefined
    );
  }

  /** Checks MQTT credentials: username = gateway id or service account name. */
  async verifyMqtt(username: string, password: Buffer | string): Promise<MqttCredentialCheck> {
    const gw = this.#db.prepare('SELECT site_id, secret_hash, revoked_at FROM gateways WHERE id = ?').get(username) as
      | { site_id: string; secret_hash: string; revoked_at: number | null }
      | undefined;
    const svc = gw
      ? undefined
      : (this.#db.prepare('SELECT role, secret_hash, revoked_at FROM service_accounts WHERE name = ?').get(username) as
          | { role: ServiceRole; secret_hash: string; revoked_at: number | null }
          | undefined);
    const row = gw ?? svc;
    const matches = await verifySecret(password, row?.secret_hash ?? DUMMY_HASH);
    if (!row) return { ok: false, reason: 'unknown' };
    if (!matches) return { ok: false, reason: 'bad_secret' };
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
    if (gw) return { ok: true, principal: { kind: 'gateway', site: gw.site_id, gateway: username } };
    return { ok: true, principal: { kind: 'service', name: username, role: svc!.role } };
  }

  /** Issues an API bearer token; only its digest is stored. */
  issueApiToken(name: string, role: ApiRole, actor: string): string {
    const token = `ioc_${generateSecret()}`;
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO api_tokens (digest, name, role, created_at) VALUES (?, ?, ?, ?)')
        .run(tokenDigest(token), name, role, this.#now());
      this.#audit(actor, 'token.issue', name, { role });
    })();
    return token;
  }

  verifyApiToken(token: string): { name: string; role: ApiRole } | undefined {
    const row = this.#db
      .prepare('SELECT name, role FROM api_tokens WHERE digest = ? AND revoked_at IS NULL')
      .get(tokenDigest(token)) as { name: string; role: ApiRole } | undefined;
    return row;
  }

  auditLog(limit = 100): { seq: number; ts: number; actor: string; action: string; subject: string; detail: string | null }[] {
    return this.#db.prepare('SELECT seq, ts, actor, action, subject, detail FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as never;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`registry schema version ${current} is newer than this software (${migrations.length}): upgrade ioc`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
