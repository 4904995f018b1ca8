import Database from 'better-sqlite3';
import { getMetric, isValidId } from '@ioc/protocol';
import { CloudError } from '../errors.js';
import { migrations } from './migrations.js';
import { generateSecret, hashSecret, tokenDigest, verifySecret } from './secrets.js';
import {
  toCamera, toConfig, toGateway, toSensor, toSite, toToken,
  type CameraRow, type ConfigRow, type GatewayRow, type SensorRow, type SiteRow, type TokenRow,
} from './rows.js';
import type {
  ApiRole, ApiTokenInfo, AuditEntry, Camera, CameraInput, Gateway, GatewayConfigRecord, Sensor, SensorInput,
  ServiceRole, Site, SiteInput, UpsertOutcome,
} from './types.js';

export type * from './types.js';

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

/** `alerts` is reserved: ioc/v1/alerts/{site} carries alert transitions. */
function requireSiteId(id: string): void {
  requireId('site', id);
  if (id === 'alerts') throw new CloudError('IOC_ERR_INVALID_ID', 'site id "alerts" is reserved (ioc/v1/alerts/… carries alert transitions)');
}

function requireCoordinates(lat: number | null | undefined, lon: number | null | undefined): void {
  if (lat != null && !(lat >= -90 && lat <= 90)) throw new CloudError('IOC_ERR_BAD_REQUEST', `lat ${lat} is outside −90…90`);
  if (lon != null && !(lon >= -180 && lon <= 180)) throw new CloudError('IOC_ERR_BAD_REQUEST', `lon ${lon} is outside −180…180`);
}

/** Same JSON, key order aside: decides whether an upsert changes anything. */
function sameJson(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, canon(x)]))
      : Array.isArray(v) ? v.map(canon) : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/**
 * The registry of sites, gateways, sensors, cameras and credentials, embedded in SQLite (WAL, so the
 * CLI can provision while `ioc up` runs). Every change is written to the audit log in the same
 * transaction; secrets are returned once and stored only as hashes.
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

  /** Runs `fn` in one transaction: all of it lands, or none (CSV import relies on this). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  #audit(actor: string, action: string, subject: string, detail?: unknown): void {
    this.#db
      .prepare('INSERT INTO audit (ts, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
      .run(this.#now(), actor, action, subject, detail === undefined ? null : JSON.stringify(detail));
  }

  // ---- sites -------------------------------------------------------------------------------

  /** Creates the site if it does not exist; returns it either way (names are set only on creation). */
  ensureSite(id: string, actor: string, names: { vi?: string; en?: string } = {}): Site {
    requireSiteId(id);
    return this.transaction(() => {
      const found = this.getSite(id);
      if (found) return found;
      this.upsertSite({ id, nameVi: names.vi ?? null, nameEn: names.en ?? null }, actor);
      return this.getSite(id)!;
    });
  }

  /** Creates or updates a site; fields left undefined keep their value. */
  upsertSite(input: SiteInput, actor: string): { site: Site; outcome: UpsertOutcome } {
    requireSiteId(input.id);
    requireCoordinates(input.lat, input.lon);
    return this.transaction(() => {
      const old = this.getSite(input.id);
      const next = {
        nameVi: input.nameVi !== undefined ? input.nameVi : (old?.nameVi ?? null),
        nameEn: input.nameEn !== undefined ? input.nameEn : (old?.nameEn ?? null),
        district: input.district !== undefined ? input.district : (old?.district ?? null),
        lat: input.lat !== undefined ? input.lat : (old?.lat ?? null),
        lon: input.lon !== undefined ? input.lon : (old?.lon ?? null),
      };
      if (old && sameJson({ ...old, createdAt: 0 }, { id: old.id, ...next, createdAt: 0 })) return { site: old, outcome: 'unchanged' as const };
      this.#db
        .prepare(`INSERT INTO sites (id, name_vi, name_en, district, lat, lon, created_at) VALUES (@id, @nameVi, @nameEn, @district, @lat, @lon, @now)
                  ON CONFLICT(id) DO UPDATE SET name_vi = @nameVi, name_en = @nameEn, district = @district, lat = @lat, lon = @lon`)
        .run({ id: input.id, ...next, now: this.#now() });
      this.#audit(actor, old ? 'site.update' : 'site.create', input.id, next);
      return { site: this.getSite(input.id)!, outcome: old ? ('updated' as const) : ('created' as const) };
    });
  }

  getSite(id: string): Site | undefined {
    const row = this.#db.prepare('SELECT * FROM sites WHERE id = ?').get(id) as SiteRow | undefined;
    return row && toSite(row);
  }

  listSites(): Site[] {
    return (this.#db.prepare('SELECT * FROM sites ORDER BY id').all() as SiteRow[]).map(toSite);
  }

  /** Deletes an empty site; IOC_ERR_CONFLICT while gateways or cameras belong to it. */
  deleteSite(id: string, actor: string): void {
    this.transaction(() => {
      if (!this.getSite(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `site ${id} does not exist`);
      const used = this.#db.prepare('SELECT (SELECT count(*) FROM gateways WHERE site_id = ?) + (SELECT count(*) FROM cameras WHERE site_id = ?) AS n').get(id, id) as { n: number };
      if (used.n > 0) throw new CloudError('IOC_ERR_CONFLICT', `site ${id} still has ${used.n} gateway(s) or camera(s)`);
      this.#db.prepare('DELETE FROM sites WHERE id = ?').run(id);
      this.#audit(actor, 'site.delete', id);
    });
  }

  // ---- gateways and their credentials ---------------------------------------------------------

  getGateway(id: string): Gateway | undefined {
    const row = this.#db.prepare('SELECT * FROM gateways WHERE id = ?').get(id) as GatewayRow | undefined;
    return row && toGateway(row);
  }

  listGateways(filter: { site?: string } = {}): Gateway[] {
    const rows = filter.site
      ? this.#db.prepare('SELECT * FROM gateways WHERE site_id = ? ORDER BY id').all(filter.site)
      : this.#db.prepare('SELECT * FROM gateways ORDER BY site_id, id').all();
    return (rows as GatewayRow[]).map(toGateway);
  }

  /**
   * Provisions a gateway in an existing site and returns its MQTT secret, which is shown once and
   * stored only hashed. IOC_ERR_EXISTS if the id is taken (by a gateway or a service account).
   */
  async createGateway(site: string, id: string, actor: string, info: { name?: string; description?: string } = {}): Promise<{ gateway: Gateway; secret: string }> {
    requireId('gateway', id);
    if (!this.getSite(site)) throw new CloudError('IOC_ERR_NOT_FOUND', `site ${site} does not exist`);
    const { secret, hash } = await Registry.prepareSecret();
    return { gateway: this.createGatewayWithHash(site, id, hash, actor, info), secret };
  }

  /** A new secret and its slow hash, computed outside any transaction (for batch provisioning). */
  static async prepareSecret(): Promise<{ secret: string; hash: string }> {
    const secret = generateSecret();
    return { secret, hash: await hashSecret(secret) };
  }

  /** Synchronous half of createGateway, for imports that provision many gateways in one transaction. */
  createGatewayWithHash(site: string, id: string, hash: string, actor: string, info: { name?: string; description?: string } = {}): Gateway {
    requireId('gateway', id);
    this.transaction(() => {
      if (!this.getSite(site)) throw new CloudError('IOC_ERR_NOT_FOUND', `site ${site} does not exist`);
      if (this.#usernameTaken(id)) throw new CloudError('IOC_ERR_EXISTS', `gateway ${id} already exists: rotate its secret instead`);
      this.#db
        .prepare('INSERT INTO gateways (id, site_id, secret_hash, created_at, name, description) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, site, hash, this.#now(), info.name ?? null, info.description ?? null);
      this.#audit(actor, 'gateway.create', id, { site, ...info });
    });
    return this.getGateway(id)!;
  }

  /** Updates a gateway's name and description (not its site: a moved gateway is re-provisioned). */
  updateGateway(id: string, info: { name?: string | null; description?: string | null }, actor: string): Gateway {
    return this.transaction(() => {
      const old = this.getGateway(id);
      if (!old) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
      const next = { name: info.name !== undefined ? info.name : old.name, description: info.description !== undefined ? info.description : old.description };
      if (next.name !== old.name || next.description !== old.description) {
        this.#db.prepare('UPDATE gateways SET name = ?, description = ? WHERE id = ?').run(next.name, next.description, id);
        this.#audit(actor, 'gateway.update', id, next);
      }
      return this.getGateway(id)!;
    });
  }

  /** Issues a new secret for a gateway (the old one stops working at once) and lifts a revocation. */
  async rotateGatewaySecret(id: string, actor: string): Promise<{ gateway: Gateway; secret: string }> {
    if (!this.getGateway(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.transaction(() => {
      this.#db.prepare('UPDATE gateways SET secret_hash = ?, rotated_at = ?, revoked_at = NULL WHERE id = ?').run(hash, this.#now(), id);
      this.#audit(actor, 'gateway.rotate', id);
    });
    return { gateway: this.getGateway(id)!, secret };
  }

  revokeGateway(id: string, actor: string): void {
    const changed = this.transaction(() => {
      const res = this.#db.prepare('UPDATE gateways SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.#now(), id);
      if (res.changes > 0) this.#audit(actor, 'gateway.revoke', id);
      return res.changes;
    });
    if (changed === 0 && !this.getGateway(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
  }

  /** Deletes a gateway with its sensors and config history; its cameras stay, unassigned. */
  deleteGateway(id: string, actor: string): void {
    this.transaction(() => {
      const res = this.#db.prepare('DELETE FROM gateways WHERE id = ?').run(id);
      if (res.changes === 0) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${id} does not exist`);
      this.#audit(actor, 'gateway.delete', id);
    });
  }

  /** Creates or re-keys a service account (the cloud ingest, an observer flow) and returns its new secret. */
  async issueServiceSecret(name: string, role: ServiceRole, actor: string): Promise<string> {
    requireId('service account', name);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.transaction(() => {
      if (this.getGateway(name)) throw new CloudError('IOC_ERR_EXISTS', `${name} is a gateway id`);
      this.#db
        .prepare(`INSERT INTO service_accounts (name, role, secret_hash, created_at) VALUES (?, ?, ?, ?)
                  ON CONFLICT(name) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash, revoked_at = NULL`)
        .run(name, role, hash, this.#now());
      this.#audit(actor, 'service.issue', name, { role });
    });
    return secret;
  }

  #usernameTaken(name: string): boolean {
    return this.#db.prepare('SELECT 1 FROM gateways WHERE id = ? UNION ALL SELECT 1 FROM service_accounts WHERE name = ?').get(name, name) !== undefined;
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

  /** Whether an MQTT account is revoked or gone (the broker polls this to disconnect revoked gateways). */
  isRevoked(username: string): boolean {
    const row = this.#db
      .prepare('SELECT revoked_at FROM gateways WHERE id = ? UNION ALL SELECT revoked_at FROM service_accounts WHERE name = ?')
      .get(username, username) as { revoked_at: number | null } | undefined;
    return !row || row.revoked_at !== null;
  }

  // ---- sensors and cameras --------------------------------------------------------------------

  /** Creates or updates a sensor of a gateway; metrics must be in the protocol's catalogue. */
  upsertSensor(input: SensorInput, actor: string): { sensor: Sensor; outcome: UpsertOutcome } {
    requireId('sensor', input.id);
    requireCoordinates(input.lat, input.lon);
    for (const m of input.metrics ?? []) {
      if (!getMetric(m)) throw new CloudError('IOC_ERR_BAD_REQUEST', `metric ${JSON.stringify(m)} is not in the metric catalogue`);
    }
    for (const [m, c] of Object.entries(input.calibration ?? {})) {
      if (!getMetric(m)) throw new CloudError('IOC_ERR_BAD_REQUEST', `calibration.${m}: not a metric of the catalogue`);
      if (!Number.isFinite(c.gain) || !Number.isFinite(c.offset)) throw new CloudError('IOC_ERR_BAD_REQUEST', `calibration.${m}: gain and offset must be finite numbers`);
    }
    return this.transaction(() => {
      if (!this.getGateway(input.gateway)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${input.gateway} does not exist`);
      const old = this.getSensor(input.gateway, input.id);
      const next = {
        driver: input.driver,
        metrics: input.metrics ?? old?.metrics ?? [],
        calibration: input.calibration ?? old?.calibration ?? {},
        lat: input.lat !== undefined ? input.lat : (old?.lat ?? null),
        lon: input.lon !== undefined ? input.lon : (old?.lon ?? null),
        description: input.description !== undefined ? input.description : (old?.description ?? null),
      };
      if (old && sameJson({ ...old, createdAt: 0 }, { gateway: old.gateway, id: old.id, ...next, createdAt: 0 })) return { sensor: old, outcome: 'unchanged' as const };
      this.#db
        .prepare(`INSERT INTO sensors (gateway_id, id, driver, metrics, calibration, lat, lon, description, created_at)
                  VALUES (@gateway, @id, @driver, @metrics, @calibration, @lat, @lon, @description, @now)
                  ON CONFLICT(gateway_id, id) DO UPDATE SET driver = @driver, metrics = @metrics, calibration = @calibration,
                  lat = @lat, lon = @lon, description = @description`)
        .run({ gateway: input.gateway, id: input.id, ...next, metrics: JSON.stringify(next.metrics), calibration: JSON.stringify(next.calibration), now: this.#now() });
      this.#audit(actor, old ? 'sensor.update' : 'sensor.create', `${input.gateway}/${input.id}`, next);
      return { sensor: this.getSensor(input.gateway, input.id)!, outcome: old ? ('updated' as const) : ('created' as const) };
    });
  }

  getSensor(gateway: string, id: string): Sensor | undefined {
    const row = this.#db.prepare('SELECT * FROM sensors WHERE gateway_id = ? AND id = ?').get(gateway, id) as SensorRow | undefined;
    return row && toSensor(row);
  }

  listSensors(filter: { gateway?: string; site?: string } = {}): Sensor[] {
    const rows = this.#db
      .prepare(`SELECT s.* FROM sensors s JOIN gateways g ON g.id = s.gateway_id
                WHERE (@gateway IS NULL OR s.gateway_id = @gateway) AND (@site IS NULL OR g.site_id = @site)
                ORDER BY s.gateway_id, s.id`)
      .all({ gateway: filter.gateway ?? null, site: filter.site ?? null }) as SensorRow[];
    return rows.map(toSensor);
  }

  deleteSensor(gateway: string, id: string, actor: string): void {
    this.transaction(() => {
      const res = this.#db.prepare('DELETE FROM sensors WHERE gateway_id = ? AND id = ?').run(gateway, id);
      if (res.changes === 0) throw new CloudError('IOC_ERR_NOT_FOUND', `sensor ${gateway}/${id} does not exist`);
      this.#audit(actor, 'sensor.delete', `${gateway}/${id}`);
    });
  }

  upsertCamera(input: CameraInput, actor: string): { camera: Camera; outcome: UpsertOutcome } {
    requireId('camera', input.id);
    requireCoordinates(input.lat, input.lon);
    return this.transaction(() => {
      if (!this.getSite(input.site)) throw new CloudError('IOC_ERR_NOT_FOUND', `site ${input.site} does not exist`);
      if (input.gateway && !this.getGateway(input.gateway)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${input.gateway} does not exist`);
      const old = this.getCamera(input.id);
      const next = {
        site: input.site,
        gateway: input.gateway !== undefined ? input.gateway : (old?.gateway ?? null),
        name: input.name !== undefined ? input.name : (old?.name ?? null),
        probe: input.probe ?? old?.probe ?? 'rtsp',
        address: input.address !== undefined ? input.address : (old?.address ?? null),
        lat: input.lat !== undefined ? input.lat : (old?.lat ?? null),
        lon: input.lon !== undefined ? input.lon : (old?.lon ?? null),
      };
      if (old && sameJson({ ...old, createdAt: 0 }, { id: old.id, ...next, createdAt: 0 })) return { camera: old, outcome: 'unchanged' as const };
      this.#db
        .prepare(`INSERT INTO cameras (id, site_id, gateway_id, name, probe, address, lat, lon, created_at)
                  VALUES (@id, @site, @gateway, @name, @probe, @address, @lat, @lon, @now)
                  ON CONFLICT(id) DO UPDATE SET site_id = @site, gateway_id = @gateway, name = @name, probe = @probe,
                  address = @address, lat = @lat, lon = @lon`)
        .run({ id: input.id, ...next, now: this.#now() });
      this.#audit(actor, old ? 'camera.update' : 'camera.create', input.id, next);
      return { camera: this.getCamera(input.id)!, outcome: old ? ('updated' as const) : ('created' as const) };
    });
  }

  getCamera(id: string): Camera | undefined {
    const row = this.#db.prepare('SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    return row && toCamera(row);
  }

  listCameras(filter: { site?: string } = {}): Camera[] {
    const rows = this.#db.prepare('SELECT * FROM cameras WHERE (@site IS NULL OR site_id = @site) ORDER BY site_id, id').all({ site: filter.site ?? null });
    return (rows as CameraRow[]).map(toCamera);
  }

  deleteCamera(id: string, actor: string): void {
    this.transaction(() => {
      const res = this.#db.prepare('DELETE FROM cameras WHERE id = ?').run(id);
      if (res.changes === 0) throw new CloudError('IOC_ERR_NOT_FOUND', `camera ${id} does not exist`);
      this.#audit(actor, 'camera.delete', id);
    });
  }

  // ---- API tokens -----------------------------------------------------------------------------

  /** Issues an API bearer token; only its digest is stored. */
  issueApiToken(name: string, role: ApiRole, actor: string): string {
    const token = `ioc_${generateSecret()}`;
    this.transaction(() => {
      this.#db.prepare('INSERT INTO api_tokens (digest, name, role, created_at) VALUES (?, ?, ?, ?)').run(tokenDigest(token), name, role, this.#now());
      this.#audit(actor, 'token.issue', name, { role });
    });
    return token;
  }

  verifyApiToken(token: string): { name: string; role: ApiRole } | undefined {
    return this.#db.prepare('SELECT name, role FROM api_tokens WHERE digest = ? AND revoked_at IS NULL').get(tokenDigest(token)) as
      | { name: string; role: ApiRole }
      | undefined;
  }

  listApiTokens(): ApiTokenInfo[] {
    return (this.#db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all() as TokenRow[]).map(toToken);
  }

  /** Revokes the token whose id (digest prefix, from listApiTokens) is `id`. */
  revokeApiToken(id: string, actor: string): void {
    this.transaction(() => {
      if (!/^[0-9a-f]{12}$/.test(id)) throw new CloudError('IOC_ERR_NOT_FOUND', `token ${id} does not exist`);
      const res = this.#db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE substr(digest, 1, 12) = ? AND revoked_at IS NULL').run(this.#now(), id);
      if (res.changes === 0) throw new CloudError('IOC_ERR_NOT_FOUND', `token ${id} does not exist or is already revoked`);
      this.#audit(actor, 'token.revoke', id);
    });
  }

  // ---- configs pushed to gateways ---------------------------------------------------------------

  /** Records a config about to be pushed; returns it with the next version number of that gateway. */
  recordConfigPush(gateway: string, body: Record<string, unknown>, actor: string): GatewayConfigRecord {
    return this.transaction(() => {
      if (!this.getGateway(gateway)) throw new CloudError('IOC_ERR_NOT_FOUND', `gateway ${gateway} does not exist`);
      const { v } = this.#db.prepare('SELECT coalesce(max(version), 0) + 1 AS v FROM gateway_configs WHERE gateway_id = ?').get(gateway) as { v: number };
      this.#db
        .prepare('INSERT INTO gateway_configs (gateway_id, version, body, pushed_by, pushed_at) VALUES (?, ?, ?, ?, ?)')
        .run(gateway, v, JSON.stringify({ ...body, version: v }), actor, this.#now());
      this.#audit(actor, 'config.push', gateway, { version: v });
      return this.configVersion(gateway, v)!;
    });
  }

  /** Records a gateway's ack of a config version; unknown versions are ignored (returns false). */
  recordConfigAck(gateway: string, version: number, ok: boolean, error: string | null): boolean {
    const res = this.#db
      .prepare('UPDATE gateway_configs SET acked_at = ?, ack_ok = ?, ack_error = ? WHERE gateway_id = ? AND version = ?')
      .run(this.#now(), ok ? 1 : 0, error, gateway, version);
    return res.changes > 0;
  }

  configVersion(gateway: string, version: number): GatewayConfigRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM gateway_configs WHERE gateway_id = ? AND version = ?').get(gateway, version) as ConfigRow | undefined;
    return row && toConfig(row);
  }

  latestConfig(gateway: string): GatewayConfigRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM gateway_configs WHERE gateway_id = ? ORDER BY version DESC LIMIT 1').get(gateway) as ConfigRow | undefined;
    return row && toConfig(row);
  }

  // ---- alert rules and settings -----------------------------------------------------------------

  /** Stored rule bodies (JSON), by id. Validation is the rules engine's (parseRule). */
  listRuleBodies(): { id: string; body: unknown; updatedAt: number; updatedBy: string }[] {
    const rows = this.#db.prepare('SELECT id, body, updated_at, updated_by FROM rules ORDER BY id').all() as { id: string; body: string; updated_at: number; updated_by: string }[];
    return rows.map((r) => ({ id: r.id, body: JSON.parse(r.body) as unknown, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  /** Replaces the whole rule set in one transaction (API edits and YAML imports), audited with the ids. */
  replaceRuleBodies(rules: { id: string; body: unknown }[], actor: string): void {
    this.transaction(() => {
      this.#db.prepare('DELETE FROM rules').run();
      const insert = this.#db.prepare('INSERT INTO rules (id, body, updated_at, updated_by) VALUES (?, ?, ?, ?)');
      for (const r of rules) insert.run(r.id, JSON.stringify(r.body), this.#now(), actor);
      this.#audit(actor, 'rules.replace', 'rules', { ids: rules.map((r) => r.id) });
    });
  }

  getSetting(key: string): string | undefined {
    return (this.#db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  auditLog(limit = 100): AuditEntry[] {
    return this.#db.prepare('SELECT seq, ts, actor, action, subject, detail FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as AuditEntry[];
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
