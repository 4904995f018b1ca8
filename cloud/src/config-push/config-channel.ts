import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { decodeConfigAck, filters, parseTopic, topics } from '@ioc/protocol';
import type { ConfigPublisher } from '../api/gateways.js';

export interface ConfigChannelOptions {
  mqttUrl: string;
  /** A service account with the ingest role; also its client id. */
  username: string;
  password: string;
  log: Logger;
  /** Called for each valid ack; returns false when the version is unknown. */
  onAck(site: string, gateway: string, ack: { version: number; ok: boolean; error: string | null }): boolean;
}

export interface ConfigChannel extends ConfigPublisher {
  /** Publishes an alert transition on ioc/v1/alerts/{site} (QoS 1, not retained) for integrations such as Node-RED. */
  publishAlert(site: string, event: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * The cloud's side of remote configuration: publishes each gateway's config retained on
 * ioc/v1/{site}/{gateway}/config (QoS 1, so a gateway offline now gets it when it returns) and
 * records the gateways' acks from .../config/ack. The same session carries alert transitions to
 * ioc/v1/alerts/{site}: mqtt.js keeps QoS 1 messages queued across a reconnect.
 */
export async function startConfigChannel(opts: ConfigChannelOptions): Promise<ConfigChannel> {
  const client: MqttClient = await mqtt.connectAsync(opts.mqttUrl, {
    clientId: opts.username,
    username: opts.username,
    password: opts.password,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
  });
  client.on('error', (err) => opts.log.warn({ err: err.message }, 'config channel mqtt error'));
  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    if (!parsed.ok || parsed.value.kind !== 'config/ack') return;
    const ack = decodeConfigAck(payload);
    if (!ack.ok) {
      opts.log.warn({ topic, code: ack.error.code, path: ack.error.path }, `config ack rejected: ${ack.error.message}`);
      return;
    }
    const version = typeof ack.value.version === 'number' ? ack.value.version : Number(ack.value.version);
    const known = Number.isInteger(version) && opts.onAck(parsed.value.site, parsed.value.gateway, { version, ok: ack.value.ok, error: ack.value.error ?? null });
    if (!known) opts.log.warn({ topic, version: ack.value.version }, 'ack of an unknown config version');
  });
  await client.subscribeAsync(filters.allConfigAck, { qos: 1 });
  return {
    async publish(site, gateway, body) {
      await client.publishAsync(topics.config(site, gateway), JSON.stringify(body), { qos: 1, retain: true });
    },
    async publishAlert(site, event) {
      await client.publishAsync(`ioc/v1/alerts/${site}`, JSON.stringify(event), { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
