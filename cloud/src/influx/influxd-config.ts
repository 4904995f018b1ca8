import path from 'node:path';

/** What varies between managed influxd instances; everything else in the config is fixed. */
export interface InfluxdConfigInput {
  /** Absolute directory holding meta/, data/ and wal/. */
  dataDir: string;
  /** HTTP API port (/ping, /write, /query), bound on 127.0.0.1 only. */
  httpPort: number;
  /** RPC port used by backup/restore (top-level `bind-address`), bound on 127.0.0.1 only. */
  bindPort: number;
}

/**
 * Renders an influxd 1.x TOML config: loopback-only listeners, no auth, no phone-home, no `_internal` monitoring
 * database, warn-level logs and no per-request access/query logs. Verified against Debian's influxd 1.6.7, which
 * ignores unknown keys: it spells the phone-home switch `reporting-enabled`, upstream spells it `reporting-disabled`,
 * so both are written.
 */
export function renderInfluxdConfig(input: InfluxdConfigInput): string {
  const dir = (name: string) => tomlString(path.join(input.dataDir, name));
  return `# Written by @ioc/cloud startInfluxd(); rewritten at every start.
reporting-disabled = true
reporting-enabled = false
bind-address = ${tomlString(`127.0.0.1:${input.bindPort}`)}

[meta]
  dir = ${dir('meta')}
  logging-enabled = false

[data]
  dir = ${dir('data')}
  wal-dir = ${dir('wal')}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${tomlString(`127.0.0.1:${input.httpPort}`)}
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

/** A TOML basic string: JSON's escapes (\\ \" \n \uXXXX) are a subset of TOML's. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}
