import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';

/** Where and how to reach the broker. Files are read at every connect, so a rotated secret needs no restart. */
export interface BrokerEndpoint {
  /** `mqtt://host:1883`, `tcp://…`, `mqtts://host:8883` or `ssl://…`. */
  url: string;
  username: string;
  /** The secret itself, or… */
  password?: string;
  /** …a file holding it (one trailing newline ignored). */
  passwordFile?: string;
  /** PEM files for TLS (mqtts:// only): the CA that signed the broker, and an optional client certificate. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The MQTT options of a connection besides the endpoint. */
export type SessionOptions = Pick<IClientOptions, 'clientId' | 'clean' | 'keepalive' | 'connectTimeout' | 'will'>;

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

async function readOptional(file: string | undefined): Promise<Buffer | undefined> {
  return file === undefined ? undefined : readFile(file);
}

/** The password, from the config or its file. */
export async function resolvePassword(endpoint: BrokerEndpoint): Promise<string | undefined> {
  if (endpoint.passwordFile === undefined) return endpoint.password;
  return (await readFile(endpoint.passwordFile, 'utf8')).replace(/\r?\n$/, '');
}

/**
 * Opens the socket itself (mqtt.js sets no TCP_NODELAY): Nagle's algorithm adds ~40 ms to every QoS 1 round trip on
 * a small publish. TLS verifies the broker against `ca` (or the system's CAs) and the host name; never disabled.
 */
function streamBuilder(url: URL, material: TlsMaterial | undefined) {
  const secure = material !== undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 8883 : 1883);
  return () => {
    const socket = secure
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...material, rejectUnauthorized: true })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    return socket;
  };
}

/**
 * Makes one MQTT client for one connection attempt, with reconnection left to the caller (reconnectPeriod 0): the
 * uplink decides when to try again (jittered backoff) and starts each attempt with a fresh client.
 */
export async function createClient(endpoint: BrokerEndpoint, session: SessionOptions): Promise<MqttClient> {
  const url = new URL(endpoint.url);
  const secure = url.protocol === 'mqtts:' || url.protocol === 'ssl:';
  const material: TlsMaterial | undefined = secure
    ? Object.fromEntries(
        Object.entries({ ca: await readOptional(endpoint.caFile), cert: await readOptional(endpoint.certFile), key: await readOptional(endpoint.keyFile) }).filter(
          ([, v]) => v !== undefined,
        ),
      )
    : undefined;
  const password = await resolvePassword(endpoint);
  return new MqttClient(streamBuilder(url, material), {
    ...session,
    username: endpoint.username,
    ...(password !== undefined ? { password } : {}),
    protocolVersion: 4,
    reconnectPeriod: 0,
    // mqtt-packet otherwise pre-builds a 2-byte Buffer for each of the 65,536 packet ids at the first write: 6 MB of
    // heap for ever, a tenth of a gateway's budget, to save an allocation per packet at a few packets a second.
    writeCache: false,
  });
}
