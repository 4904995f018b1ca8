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
];
