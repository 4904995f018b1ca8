import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { startBroker, type RunningBroker } from '@ioc/broker';
import { createInfluxStore, openSqliteDeadLetterStore, Registry, startCloud, startInfluxd, type RunningCloud } from '@ioc/cloud';
import { homeFiles } from './home.js';

import { VERSION } from './version.js';
export { VERSION };
const INGEST_ACCOUNT = 'svc-ingest';
const CONFIG_ACCOUNT = 'svc-config';

export interface StackOptions {
  home: string;
  log: Logger;
  /** 0 = a free port. */
  mqttPort: number;
  httpPort: number;
  influxPort: number;
  /** Use a running InfluxDB 1.x instead of starting one. */
  influxUrl?: string;
}

export interface Stack {
  readonly influxUrl: string;
  readonly broker: RunningBroker;
  readonly cloud: RunningCloud;
  readonly registry: Registry;
  readonly adminToken: string;
  readonly adminTokenFile: string;
  /** Stops everything this stack started, in reverse order; safe to call twice. */
  close(): Promise<void>;
}

/** Keeps the admin token in $IOC_HOME/admin.token (0600), issuing a new one if the file is missing or stale. */
function ensureAdminToken(registry: Registry, file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (registry.verifyApiToken(token)) return token;
  }
  const token = registry.issueApiToken('admin', 'admin', 'ioc up');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * The composition root of one machine's IOC: InfluxDB (a managed child unless influxUrl is given),
 * the registry, the broker authenticating against it, and the cloud service subscribed to the broker.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const files = homeFiles(opts.home);
  const log = opts.log;
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'error while stopping');
      }
    }
  };
  try {
    let influxUrl = opts.influxUrl;
    if (!influxUrl) {
      const influxd = await startInfluxd({ dataDir: files.influxData, httpPort: opts.influxPort, log: log.child({ component: 'influxd' }) });
      cleanups.push(() => influxd.stop());
      influxUrl = influxd.url;
    }
    const registry = Registry.open(files.registry);
    cleanups.push(() => registry.close());
    const adminToken = ensureAdminToken(registry, files.adminToken);
    // Service secrets are re-issued at every start and live only in this process.
    const ingestSecret = await registry.issueServiceSecret(INGEST_ACCOUNT, 'ingest', 'ioc up');
    const configSecret = await registry.issueServiceSecret(CONFIG_ACCOUNT, 'ingest', 'ioc up');

    const broker = await startBroker({
      port: opts.mqttPort,
      credentials: {
        verify: (username, password) => registry.verifyMqtt(username, password),
        // polled every few seconds: a gateway revoked while connected is disconnected
        isRevoked: async (username) => registry.isRevoked(username),
      },
      log: log.child({ component: 'broker' }),
      metricsPort: 0, // Prometheus GET /metrics on a free port: stack.broker.metricsUrl, logged at start
    });
    cleanups.push(() => broker.close());

    const store = createInfluxStore({ url: influxUrl });
    cleanups.push(() => store.close());
    const cloud = await startCloud({
      registry,
      store,
      mqtt: { url: broker.url, username: INGEST_ACCOUNT, password: ingestSecret },
      configMqtt: { username: CONFIG_ACCOUNT, password: configSecret },
      deadLetters: openSqliteDeadLetterStore({ path: files.deadLetters }),
      alerts: { file: files.alerts },
      http: { port: opts.httpPort },
      log: log.child({ component: 'cloud' }),
      version: VERSION,
    });
    cleanups.push(() => cloud.close());
    return { influxUrl, broker, cloud, registry, adminToken, adminTokenFile: files.adminToken, close };
  } catch (err) {
    await close();
    throw err;
  }
}
