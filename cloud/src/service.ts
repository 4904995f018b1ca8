import type { Logger } from 'pino';
import type { Registry } from './registry/registry.js';
import type { TelemetryStore } from './store/telemetry-store.js';
import type { DeadLetterStore } from './deadletter/dead-letter-store.js';
import { openSqliteDeadLetterStore } from './deadletter/sqlite-dead-letter-store.js';
import { startIngest, type Ingest, type IngestObserver, type IngestOptions } from './ingest/ingest.js';
import { buildApi } from './api/app.js';
import { startConfigChannel, type ConfigChannel } from './config-push/config-channel.js';
import { AlertStore } from './alerts/store.js';
import { AlertHub } from './alerts/hub.js';
import { AlertService } from './alerts/service.js';
import { WebhookDispatcher } from './alerts/webhooks.js';
import { startAqiJob } from './site-aqi/job.js';

/** Ingest tuning knobs (batching, window, retries); see IngestOptions for each default. */
export type IngestTuning = Pick<
  IngestOptions,
  | 'maxBatchPoints'
  | 'flushIntervalMs'
  | 'maxConcurrentWrites'
  | 'maxInFlightMessages'
  | 'maxInFlightBytes'
  | 'retryDelayMs'
  | 'maxRetryDelayMs'
  | 'closeTimeoutMs'
  | 'rollupRefreshMs'
>;

export interface CloudOptions {
  registry: Registry;
  store: TelemetryStore;
  /**
   * Where refused messages are kept, e.g. `openSqliteDeadLetterStore({ path: '$IOC_HOME/deadletters.db' })`; the
   * cloud closes it. Default: an in-memory store (lost at exit).
   */
  deadLetters?: DeadLetterStore;
  mqtt: { url: string; username: string; password: string };
  /** A second ingest-role account for pushing gateway configs and reading their acks; no config push without it. */
  configMqtt?: { username: string; password: string };
  http: { port: number; host?: string };
  ingest?: IngestTuning;
  /** Fed every valid telemetry and state message on arrival, besides the rules engine. */
  ingestObserver?: IngestObserver;
  /**
   * The alert side: the rules engine on the ingest path, alerts and webhook deliveries kept in this SQLite file
   * (e.g. `$IOC_HOME/alerts.db`), served at /api/v1/alerts, /rules, /webhooks. Off when absent.
   */
  alerts?: { file: string; tickMs?: number };
  log: Logger;
  version: string;
}

export interface RunningCloud {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly ingest: Ingest;
  readonly deadLetters: DeadLetterStore;
  /** Present when `alerts` was given. */
  readonly alerts?: { hub: AlertHub; service: AlertService; webhooks: WebhookDispatcher };
  close(): Promise<void>;
}

/** Opens the alert side: store, hub, webhooks (durable), and the rules engine fed by ingest. */
function startAlerts(opts: CloudOptions, file: string, tickMs: number | undefined) {
  const log = opts.log.child({ component: 'alerts' });
  const hub = new AlertHub(new AlertStore(file), (err) => log.error({ err }, 'alert listener failed'));
  const webhooks = new WebhookDispatcher({ file, log });
  hub.subscribe((event) => webhooks.enqueue(event));
  webhooks.start();
  const service = AlertService.start({ hub, registry: opts.registry, log, ...(tickMs !== undefined ? { tickMs } : {}) });
  // Each site's hourly VN_AQI feeds the aqi_category rules.
  const aqiJob = startAqiJob({
    store: opts.store,
    sites: () => opts.registry.listSites().map((s) => s.id),
    onSiteAqi: (site, hour, aqi) => service.onSiteAqi(site, hour, aqi),
    log,
  });
  const close = async (): Promise<void> => {
    aqiJob.stop();
    service.close();
    await webhooks.stop();
    hub.store.close();
  };
  return { hub, service, webhooks, close };
}

/** Both observers, each isolated: a failing rule evaluation never refuses a reading. */
function observers(log: Logger, list: (IngestObserver | undefined)[]): IngestObserver {
  const all = list.filter((o): o is IngestObserver => o !== undefined);
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.error({ err }, 'ingest observer failed');
    }
  };
  return {
    readings: (site, gateway, readings, historical) => all.forEach((o) => guard(() => o.readings?.(site, gateway, readings, historical))),
    state: (site, gateway, state) => all.forEach((o) => guard(() => o.state?.(site, gateway, state))),
  };
}

/** Starts the cloud service: store schema, ingest subscription, then the HTTP API. */
export async function startCloud(opts: CloudOptions): Promise<RunningCloud> {
  await opts.store.init();
  const deadLetters = opts.deadLetters ?? openSqliteDeadLetterStore({ path: ':memory:' });
  const alerts = opts.alerts ? startAlerts(opts, opts.alerts.file, opts.alerts.tickMs) : undefined;
  const ruleObserver: IngestObserver | undefined = alerts && {
    readings: (site, gateway, readings) => alerts.service.onReadings(site, gateway, readings),
    state: (site, gateway, state) => alerts.service.onState(site, gateway, state),
  };
  let ingest: Ingest;
  try {
    ingest = await startIngest({
      ...opts.ingest,
      mqttUrl: opts.mqtt.url,
      username: opts.mqtt.username,
      password: opts.mqtt.password,
      store: opts.store,
      deadLetters,
      log: opts.log.child({ component: 'ingest' }),
      observer: observers(opts.log, [ruleObserver, opts.ingestObserver]),
    });
  } catch (err) {
    await alerts?.close();
    await deadLetters.close();
    throw err;
  }
  let config: ConfigChannel | undefined;
  const stopAll = async () => {
    await config?.close();
    await ingest.close();
    await alerts?.close();
    await deadLetters.close();
  };
  let address: string;
  const app = await buildApi({
    registry: opts.registry,
    store: opts.store,
    ingest,
    deadLetters,
    mqttUrl: opts.mqtt.url,
    log: opts.log.child({ component: 'api' }),
    version: opts.version,
    ...(alerts ? { alerts: { hub: alerts.hub, actions: alerts.service, webhooks: alerts.webhooks, rules: alerts.service } } : {}),
    ...(opts.configMqtt ? { configPublisher: { publish: (site, gateway, body) => (config ? config.publish(site, gateway, body) : Promise.reject(new Error('config channel not started'))) } } : {}),
  });
  try {
    if (opts.configMqtt) {
      config = await startConfigChannel({
        mqttUrl: opts.mqtt.url,
        ...opts.configMqtt,
        log: opts.log.child({ component: 'config-push' }),
        onAck: (_site, gateway, ack) => opts.registry.recordConfigAck(gateway, ack.version, ack.ok, ack.error),
      });
    }
    if (alerts && config) {
      const channel = config;
      const log = opts.log.child({ component: 'alerts-mqtt' });
      alerts.hub.subscribe((event) => {
        channel.publishAlert(event.subject.site, event).catch((err: unknown) => log.warn({ err, eventId: event.id }, 'alert not published on MQTT'));
      });
    }
    address = await app.listen({ port: opts.http.port, host: opts.http.host ?? '127.0.0.1' });
  } catch (err) {
    await app.close();
    await stopAll();
    throw err;
  }
  return {
    url: address.replace('[::1]', '127.0.0.1'),
    ingest,
    deadLetters,
    ...(alerts ? { alerts: { hub: alerts.hub, service: alerts.service, webhooks: alerts.webhooks } } : {}),
    async close() {
      await app.close();
      await stopAll();
    },
  };
}
