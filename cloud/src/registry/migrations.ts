/**
 * Schema migrations, applied in order at start-up inside one transaction each; PRAGMA user_version
 * records how many ran. Never edit a migration that has shipped: append a new one.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name_vi    TEXT,
    name_en    TEXT,
    district   TEXT,
    lat        REAL,
    lon        REAL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE gateways (
    id           TEXT PRIMARY KEY,
    site_id      TEXT NOT NULL REFERENCES sites(id),
    secret_hash  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    rotated_at   INTEGER,
    revoked_at   INTEGER
  );
  CREATE TABLE service_accounts (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('ingest', 'observer')),
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  );
  CREATE TABLE api_tokens (
    digest     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    ts      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT
  );
  `,
  // 2: sensors and cameras; four API roles (the CHECK constraint needs a table rebuild in SQLite);
  // configs pushed to gateways and their acks.
  `
  CREATE TABLE sensors (
    gateway_id  TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    driver      TEXT NOT NULL,
    metrics     TEXT NOT NULL DEFAULT '[]',
    calibration TEXT NOT NULL DEFAULT '{}',
    lat         REAL,
    lon         REAL,
    description TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (gateway_id, id)
  );
  CREATE TABLE cameras (
    id          TEXT PRIMARY KEY,
    site_id     TEXT NOT NULL REFERENCES sites(id),
    gateway_id  TEXT REFERENCES gateways(id) ON DELETE SET NULL,
    name        TEXT,
    probe       TEXT NOT NULL DEFAULT 'rtsp' CHECK (probe IN ('rtsp', 'http', 'tcp', 'opcua')),
    address     TEXT,
    lat         REAL,
    lon         REAL,
    created_at  INTEGER NOT NULL
  );
  CREATE TABLE api_tokens_v2 (
    digest     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'technician', 'officer', 'viewer')),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  INSERT INTO api_tokens_v2 (digest, name, role, created_at, revoked_at)
    SELECT digest, name, CASE role WHEN 'reader' THEN 'viewer' ELSE role END, created_at, revoked_at FROM api_tokens;
  DROP TABLE api_tokens;
  ALTER TABLE api_tokens_v2 RENAME TO api_tokens;
  CREATE TABLE gateway_configs (
    gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    pushed_by  TEXT NOT NULL,
    pushed_at  INTEGER NOT NULL,
    acked_at   INTEGER,
    ack_ok     INTEGER,
    ack_error  TEXT,
    PRIMARY KEY (gateway_id, version)
  );
  ALTER TABLE gateways ADD COLUMN name TEXT;
  ALTER TABLE gateways ADD COLUMN description TEXT;
  `,
  // 3: alert rules (JSON bodies validated by the rules engine's schema) and small settings.
  `
  CREATE TABLE rules (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
  );
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];
