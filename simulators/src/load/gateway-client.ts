import mqtt, { type MqttClient } from 'mqtt';
import { codedError } from '../util/errors.js';
import { encodeTelemetryJson, telemetryTopic, type WireReading } from './telemetry-json.js';

/** Error codes of the MQTT side of load and backfill. */
export const LOAD_ERRORS = {
  /** The broker refused the connection or could not be reached. */
  connect: 'IOC_ERR_LOAD_CONNECT',
  /** A publish failed (connection lost before its PUBACK, or refused). */
  publish: 'IOC_ERR_LOAD_PUBLISH',
  /** A load target that is not on this machine. */
  notLoopback: 'IOC_ERR_LOAD_NOT_LOOPBACK',
  /** Options out of their bounds. */
  bounds: 'IOC_ERR_LOAD_BOUNDS',
} as const;

/** A gateway's identity on the broker: the client id and username are the gateway id (the broker requires it). */
export interface GatewayCredentials {
  readonly site: string;
  readonly gateway: string;
  readonly password: string;
}

/** One gateway's MQTT connection, publishing telemetry as a gateway would. */
export interface GatewayClient {
  readonly gateway: string;
  /** Publishes one batch; resolves with the latency in ms (to the PUBACK for QoS 1, to the socket write for QoS 0). */
  publish(readings: readonly WireReading[], opts: { qos: 0 | 1; historical?: boolean }): Promise<number>;
  /** Publishes not yet acknowledged. */
  readonly inFlight: number;
  /** Connection errors and drops seen since connecting. */
  readonly connectionErrors: number;
  /** Disconnects cleanly once in-flight publishes are done (bounded by `timeoutMs`, then forced). */
  close(timeoutMs?: number): Promise<void>;
}

/** Connects as a gateway (clean session: nothing of the gateway's persistent session is taken over). */
export async function connectGateway(url: string, creds: GatewayCredentials, opts: { connectTimeoutMs?: number } = {}): Promise<GatewayClient> {
  const client: MqttClient = mqtt.connect(url, {
    clientId: creds.gateway,
    username: creds.gateway,
    password: creds.password,
    clean: true,
    protocolVersion: 4,
    keepalive: 30,
    reconnectPeriod: 0,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
  });
  client.setMaxListeners(0);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => {
      client.end(true);
      reject(codedError(LOAD_ERRORS.connect, `gateway ${creds.gateway} could not connect to ${url}: ${err.message}`, err));
    });
    client.once('close', () => reject(codedError(LOAD_ERRORS.connect, `gateway ${creds.gateway}: ${url} closed the connection`)));
  });
  // Nagle's algorithm would add ≈ 40 ms to every QoS 1 round trip (DEPENDENCIES.md).
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  let connectionErrors = 0;
  let inFlight = 0;
  client.on('error', () => (connectionErrors += 1));
  client.on('close', () => (connectionErrors += 1));
  const topic = telemetryTopic(creds.site, creds.gateway);
  let seq = 0;
  return {
    gateway: creds.gateway,
    get inFlight() {
      return inFlight;
    },
    get connectionErrors() {
      // The clean close at the end is not an error.
      return connectionErrors;
    },
    publish(readings, { qos, historical = false }) {
      seq += 1;
      const payload = encodeTelemetryJson(seq, readings, historical);
      const started = performance.now();
      inFlight += 1;
      return new Promise<number>((resolve, reject) => {
        client.publish(topic, payload, { qos }, (err) => {
          inFlight -= 1;
          if (err) reject(codedError(LOAD_ERRORS.publish, `gateway ${creds.gateway}: publish failed: ${err.message}`, err));
          else resolve(performance.now() - started);
        });
      });
    },
    async close(timeoutMs = 10_000) {
      client.removeAllListeners('close');
      const deadline = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < deadline && client.connected) await new Promise((r) => setTimeout(r, 10));
      await client.endAsync(inFlight > 0);
    },
  };
}

/** Refuses a broker URL that is not on this machine: load is generated against loopback only. */
export function assertLoopback(url: string): void {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw codedError(LOAD_ERRORS.notLoopback, `${url} is not a URL`);
  }
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
    throw codedError(LOAD_ERRORS.notLoopback, `${url}: load goes to a broker on this machine only (127.0.0.1, localhost, ::1)`);
  }
}
