/**
 * A minimal MQTT 3.1.1 subscriber on mqtt-packet that acknowledges when its owner says so. mqtt.js cannot: it handles
 * one incoming packet at a time and sends a QoS 1 PUBACK only when its message handler calls back, so holding the
 * PUBACK until a write is done makes it strictly serial. Here every PUBLISH is handed over as it arrives, and PUBACKs
 * go out when puback() is called — in batches, in arrival order (the caller's duty, see AckWindow).
 *
 * Session: CONNECT with clean=false (the broker keeps the subscription and the unacknowledged messages while we are
 * away [MQTT-3.1.2-4]), SUBSCRIBE at QoS 1, PINGREQ keep-alive, reconnect with jittered backoff, TCP noDelay.
 * Flow control: pause() stops reading the socket, so TCP pushes back on the broker.
 */
import net from 'node:net';
import tls from 'node:tls';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';

export interface SubscriberOptions {
  /** `mqtt://host:port` or `mqtts://host:port`. */
  url: string;
  /** At most 23 characters (the broker may refuse longer); stable across restarts, for the persistent session. */
  clientId: string;
  username: string;
  password: string;
  /** Topic filters, each subscribed at QoS 1. */
  filters: string[];
  log: Logger;
  /** Keep-alive, seconds; default 30. */
  keepaliveSec?: number;
  /** Limit on TCP connect + CONNACK + SUBACK, ms; default 10,000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff bounds, ms; defaults 500 and 10,000. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
}

/** One PUBLISH as received. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** Packet identifier, for QoS 1; undefined for QoS 0. */
  messageId: number | undefined;
  /** True when the broker sent it because we subscribed (a retained message), not because it was just published. */
  retain: boolean;
  /** Connection it arrived on: acknowledge it on that one or not at all. */
  session: number;
}

export interface SubscriberHandlers {
  message(message: InboundMessage): void;
  /** The connection `session` was lost: its unacknowledged messages will be sent again on a later one. */
  sessionLost(session: number): void;
}

/** Stable codes of the errors start() rejects with. */
export const SubscriberErrorCode = {
  /** The broker answered CONNACK with a refusal (bad credentials, not authorised …). */
  REFUSED: 'IOC_ERR_MQTT_REFUSED',
  /** The broker refused a subscription (SUBACK 0x80). */
  SUBSCRIBE_REFUSED: 'IOC_ERR_MQTT_SUBSCRIBE_REFUSED',
  /** Could not connect (network error, timeout, connection closed during the handshake). */
  CONNECT: 'IOC_ERR_MQTT_CONNECT',
} as const;

const CONNACK_REASONS = ['', 'unacceptable protocol version', 'identifier rejected', 'server unavailable', 'bad user name or password', 'not authorized'];
const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);
const SUBSCRIBE_ID = 1;

export class MqttSubscriber {
  readonly #opts: SubscriberOptions;
  readonly #handlers: SubscriberHandlers;
  readonly #keepaliveMs: number;
  #socket: net.Socket | undefined;
  #session = 0;
  #connected = false;
  #paused = false;
  #closing = false;
  /** Set by the first successful connection: only then do losses reconnect. */
  #started = false;
  #attempt = 0;
  #lastSentAt = 0;
  #pingSentAt: number | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(opts: SubscriberOptions, handlers: SubscriberHandlers) {
    this.#opts = opts;
    this.#handlers = handlers;
    this.#keepaliveMs = (opts.keepaliveSec ?? 30) * 1000;
  }

  /** True while a connection is up (CONNACK received). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Connects and subscribes once; rejects (with a code above) if that fails. Later losses reconnect by themselves. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Sends the PUBACKs of `ids` in one write, if `session` is still the current connection; false if not. */
  puback(session: number, ids: number[]): boolean {
    const socket = this.#socket;
    if (session !== this.#session || !this.#connected || !socket) return false;
    const buf = Buffer.allocUnsafe(4 * ids.length);
    ids.forEach((id, i) => {
      buf[4 * i] = 0x40; // PUBACK
      buf[4 * i + 1] = 0x02;
      buf.writeUInt16BE(id, 4 * i + 2);
    });
    this.#send(socket, buf);
    return true;
  }

  /** Stops reading from the broker (it keeps the messages; TCP pushes back). */
  pause(): void {
    this.#paused = true;
    this.#socket?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#pingSentAt = undefined; // any PINGRESP was not read meanwhile
    this.#socket?.resume();
  }

  /** Sends DISCONNECT (the broker keeps the session and unacknowledged messages) and stops reconnecting. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    if (!socket || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.resume(); // to read the broker's end of the connection (messages arriving now are ignored)
    if (this.#connected) socket.end(DISCONNECT);
    else socket.destroy();
    const timer = setTimeout(() => socket.destroy(), 2_000);
    await closed;
    clearTimeout(timer);
  }

  /** One connection attempt: TCP, CONNECT/CONNACK, SUBSCRIBE/SUBACK. */
  #connect(): Promise<void> {
    const url = new URL(this.#opts.url);
    const secure = url.protocol === 'mqtts:';
    if (!secure && url.protocol !== 'mqtt:') throw new RangeError(`url: only mqtt:// and mqtts:// are supported (got ${url.protocol})`);
    const host = url.hostname;
    const port = Number(url.port || (secure ? 8883 : 1883));
    return new Promise<void>((resolve, reject) => {
      const socket: net.Socket = secure ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
      socket.setNoDelay(true);
      this.#socket = socket;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      let settled = false;
      const fail = (code: string, message: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(Object.assign(new Error(message), { code }));
      };
      const timeoutMs = this.#opts.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => fail(SubscriberErrorCode.CONNECT, `no CONNACK/SUBACK within ${timeoutMs} ms`), timeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => this.#sendConnect(socket));
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
      socket.on('error', (err: Error) => {
        this.#opts.log.debug({ err: err.message }, 'mqtt socket error');
        fail(SubscriberErrorCode.CONNECT, `cannot reach ${this.#opts.url}: ${err.message}`);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        fail(SubscriberErrorCode.CONNECT, `${this.#opts.url} closed the connection during the handshake`);
        if (this.#socket === socket) this.#lost();
      });
      parser.on('error', (err: Error) => {
        this.#opts.log.warn({ err: err.message }, 'malformed MQTT packet from the broker; reconnecting');
        socket.destroy();
      });
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'publish') return this.#onPublish(packet);
        if (packet.cmd === 'pingresp') return void (this.#pingSentAt = undefined);
        if (packet.cmd === 'connack') {
          const code = packet.returnCode ?? 0;
          if (code !== 0) return fail(SubscriberErrorCode.REFUSED, `broker refused the connection: ${CONNACK_REASONS[code] ?? `code ${code}`}`);
          // A present session's queued messages follow at once, before the SUBACK: they count from here.
          this.#onConnected(socket);
          return this.#sendSubscribe(socket);
        }
        if (packet.cmd === 'suback') {
          const refused = this.#opts.filters.filter((_, i) => (packet.granted[i] ?? 128) === 128);
          if (refused.length > 0) return fail(SubscriberErrorCode.SUBSCRIBE_REFUSED, `broker refused subscriptions: ${refused.join(', ')}`);
          clearTimeout(timer);
          settled = true;
          this.#started = true;
          this.#opts.log.info({ url: this.#opts.url, clientId: this.#opts.clientId, session: this.#session }, 'ingest subscribed');
          resolve();
        }
      });
    });
  }

  #sendConnect(socket: net.Socket): void {
    const o = this.#opts;
    const connect = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      clientId: o.clientId,
      keepalive: this.#keepaliveMs / 1000,
      username: o.username,
      password: Buffer.from(o.password),
    });
    this.#send(socket, connect);
  }

  #sendSubscribe(socket: net.Socket): void {
    const subscriptions = this.#opts.filters.map((topic) => ({ topic, qos: 1 as const }));
    this.#send(socket, mqttPacket.generate({ cmd: 'subscribe', messageId: SUBSCRIBE_ID, subscriptions }));
  }

  #onConnected(socket: net.Socket): void {
    this.#session += 1;
    this.#connected = true;
    this.#attempt = 0;
    if (this.#paused) socket.pause();
    this.#keepaliveTimer = setInterval(() => this.#keepalive(socket), Math.max(this.#keepaliveMs / 4, 250));
    this.#keepaliveTimer.unref();
  }

  #onPublish(packet: IPublishPacket): void {
    // Before CONNACK (a protocol violation) or while closing: unacknowledged, so sent again later.
    if (!this.#connected || this.#closing) return;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const messageId = packet.qos > 0 ? packet.messageId : undefined;
    try {
      this.#handlers.message({ topic: packet.topic, payload, messageId, retain: packet.retain, session: this.#session });
    } catch (err) {
      // Never acknowledged: reconnect, and the broker sends it (and what follows) again.
      this.#opts.log.error({ err, topic: packet.topic }, 'ingest failed on a message; reconnecting');
      this.#socket?.destroy();
    }
  }

  /** Sends PINGREQ when idle for half the keep-alive; a PINGRESP missing for a whole one means a dead link. */
  #keepalive(socket: net.Socket): void {
    const now = Date.now();
    if (this.#pingSentAt !== undefined && !this.#paused && now - this.#pingSentAt >= this.#keepaliveMs) {
      this.#opts.log.warn({ keepaliveMs: this.#keepaliveMs }, 'no PINGRESP from the broker; reconnecting');
      socket.destroy();
      return;
    }
    if (now - this.#lastSentAt >= this.#keepaliveMs / 2) {
      this.#send(socket, PINGREQ);
      this.#pingSentAt ??= now;
    }
  }

  #send(socket: net.Socket, buf: Buffer): void {
    this.#lastSentAt = Date.now();
    socket.write(buf);
  }

  /** The current connection closed: tell the owner, and reconnect unless closing. */
  #lost(): void {
    clearInterval(this.#keepaliveTimer);
    this.#pingSentAt = undefined;
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#socket = undefined;
    if (wasConnected) this.#handlers.sessionLost(this.#session);
    if (this.#closing || !this.#started) return;
    const delay = backoffDelay(this.#attempt++, {
      initialMs: this.#opts.reconnectInitialMs ?? 500,
      maxMs: this.#opts.reconnectMaxMs ?? 10_000,
      ...(this.#opts.random ? { random: this.#opts.random } : {}),
    });
    if (wasConnected) this.#opts.log.warn({ delayMs: delay }, 'ingest lost the broker; reconnecting');
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().catch((err: unknown) => {
        this.#opts.log.warn({ err: (err as Error).message }, 'ingest reconnect failed');
      });
    }, delay);
  }
}
