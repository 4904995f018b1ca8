import type { Logger } from 'pino';
import type { Registry } from './registry/registry.js';
import type { TelemetryStore } from './store/telemetry-store.js';
import { startIngest, type Ingest } from './ingest/ingest.js';
import { buildApi } from './api/app.js';
import { startConfigChannel, type ConfigChannel } from './config-push/config-channel.js';

export interface CloudOptions {
  registry: Registry;
  store: TelemetryStore;
  mqtt: { url: string; username: string; password: string };
  /** A second service account (ingest role) that pushes gateway configs and records their acks. */
  configMqtt?: { username: string; password: string };
  /** The broker address gateways use (given out with their credentials); default mqtt.url. */
  publicMqttUrl?: string;
  http: { port: number; host?: string };
  log: Logger;
  version: string;
}

export interface RunningCloud {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly ingest: Ingest;
  close(): Promise<void>;
}

/** Starts the cloud service: store schema, ingest subscription, then the HTTP API. */
export async function startCloud(opts: CloudOptions): Promise<RunningCloud> {
  await opts.store.init();
  const ingest = await startIngest({
    mqttUrl: opts.mqtt.url,
    username: opts.mqtt.username,
    password: opts.mqtt.password,
    store: opts.store,
    log: opts.log.child({ component: 'ingest' }),
  });
  let configChannel: ConfigChannel | undefined;
  if (opts.configMqtt) {
    const registry = opts.registry;
    configChannel = await startConfigChannel({
      mqttUrl: opts.mqtt.url,
      ...opts.configMqtt,
      log: opts.log.child({ component: 'config' }),
      onAck: (_site, gateway, ack) => registry.recordConfigAck(gateway, ack.version, ack.ok, ack.error),
    });
  }
  const app = await buildApi({
    registry: opts.registry,
    store: opts.store,
    ingest,
    log: opts.log.child({ component: 'api' }),
    version: opts.version,
    mqttUrl: opts.publicMqttUrl ?? opts.mqtt.url,
    ...(configChannel ? { configPublisher: configChannel } : {}),
  });
  const host = opts.http.host ?? '127.0.0.1';
  let address: string;
  try {
    address = await app.listen({ port: opts.http.port, host });
  } catch (err) {
    await configChannel?.close();
    await ingest.close();
    throw err;
  }
  return {
    url: address.replace('[::1]', '127.0.0.1'),
    ingest,
    async close() {
      await app.close();
      await configChannel?.close();
      await ingest.close();
    },
  };
}
