// Test support: a real Aedes broker on a loopback port (plain or TLS), and a subscriber that records what it gets.
// The production broker (with the registry's authentication) lives in @ioc/broker, which the edge may not import.
import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface TestBrokerOptions {
  /** 0 (default) = a free port; give the port of a stopped broker to bring it back at the same address. */
  port?: number;
  /** Serve TLS with this server key and certificate; with `ca` and requestCert, require a client certificate. */
  tls?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean };
  /** Accept only this password (read at each CONNECT; any username); default: accept everyone. */
  password?: () => string;
  /** Called before each PUBLISH is accepted; the PUBACK waits for it (lets a test hold messages in flight). */
  beforePublish?: (topic: string) => Promise<void>;
  /** Admit a client id or refuse it (CONNACK 5): lets a test hold a gateway back until its subscribers are ready. */
  admit?: (clientId: string) => boolean;
}

export interface TestBroker {
  readonly port: number;
  readonly url: string;
  /**
   * Cuts the connections of the clients whose id starts with `prefix` (all by default) without a DISCONNECT, like a
   * network failure: their wills are published.
   */
  dropConnections(prefix?: string): void;
  close(): Promise<void>;
}

export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker({
    authenticate: (client, _username, password, done) => {
      if (opts.admit && !opts.admit(client.id)) {
        done(Object.assign(new Error('not yet'), { returnCode: 5 as const }), false);
        return;
      }
      const ok = opts.password === undefined || password?.toString() === opts.password();
      done(ok ? null : Object.assign(new Error('bad password'), { returnCode: 4 as const }), ok);
    },
    authorizePublish: (_client, packet, done) => {
      if (!opts.beforePublish) {
        done(null);
        return;
      }
      opts.beforePublish(packet.topic).then(
        () => done(null),
        (err: Error) => done(err),
      );
    },
  });
  const sockets = new Map<net.Socket, { id: string | undefined }>();
  const onSocket = (socket: net.Socket): void => {
    sockets.set(socket, aedes.handle(socket));
    socket.once('close', () => sockets.delete(socket));
  };
  const server = opts.tls
    ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert, ...(opts.tls.ca ? { ca: opts.tls.ca } : {}), requestCert: opts.tls.requestCert ?? false, rejectUnauthorized: true }, onSocket)
    : net.createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dropConnections: (prefix = '') => {
      for (const [socket, client] of sockets) if ((client.id ?? '').startsWith(prefix)) socket.destroy();
    },
    async close() {
      for (const socket of sockets.keys()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** A plain subscriber recording every message on `filter`; reconnects by itself (mqtt.js default) after an outage. */
export async function recordMessages(url: string, filter: string): Promise<{ messages: Received[]; client: MqttClient; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId: `rec-${Math.random().toString(16).slice(2)}`, clean: false, reconnectPeriod: 50 });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { messages, client, close: () => client.endAsync(true) };
}

/** Polls `condition` (real time) until it holds; throws with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
