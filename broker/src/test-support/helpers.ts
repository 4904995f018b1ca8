import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import type { CredentialCheck, CredentialVerifier, Principal } from '../auth/principal.js';

/** Test helpers: real mqtt.js clients and raw sockets against a real listening broker. */

export const silentLog = pino({ level: 'silent' });

export interface Account {
  secret: string;
  principal: Principal;
  revoked?: boolean;
}

/**
 * A verifier over a mutable table: the broker's interface, not the registry's storage, is under test.
 * Flip `revoked` on a row to revoke an account while it is connected.
 */
export function tableVerifier(table: Record<string, Account>): CredentialVerifier {
  const check = (username: string, secret?: Buffer): CredentialCheck => {
    const row = table[username];
    if (!row) return { ok: false, reason: 'unknown' };
    if (secret !== undefined && secret.toString() !== row.secret) return { ok: false, reason: 'bad_secret' };
    if (row.revoked) return { ok: false, reason: 'revoked' };
    return { ok: true, principal: row.principal };
  };
  return {
    verify: async (username, password) => check(username, password),
    lookup: async (username) => check(username),
    isRevoked: async (username) => !table[username] || table[username].revoked === true,
  };
}

export const gateway = (site: string, id: string): Principal => ({ kind: 'gateway', site, gateway: id });
export const service = (name: string, role: 'ingest' | 'observer'): Principal => ({ kind: 'service', name, role });

/** Connects an mqtt.js client (MQTT 3.1.1, no reconnect) and registers it for `endAll`. */
export class Clients {
  readonly #all: MqttClient[] = [];

  async connect(url: string, opts: IClientOptions): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, keepalive: 30, ...opts });
    this.#all.push(client);
    return client;
  }

  /** The CONNACK return code a connection gets (0 = admitted). */
  async connackCode(url: string, opts: IClientOptions): Promise<number> {
    try {
      await this.connect(url, opts);
      return 0;
    } catch (err) {
      return (err as { code?: number }).code ?? -1;
    }
  }

  async endAll(): Promise<void> {
    await Promise.all(this.#all.splice(0).map((c) => c.endAsync(true)));
  }
}

/** Resolves when the client's connection closes (the broker closed it, or the network did). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected && client.disconnected) resolve();
    else client.once('close', () => resolve());
  });
}

/** A raw TCP connection to the broker, for bytes no MQTT client would send. */
export function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket is closed by the other side (or errors). */
export function socketClosed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    s.once('close', () => resolve());
    s.on('error', () => {});
  });
}

/** A small seeded PRNG (mulberry32): the same garbage on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sum of a refusal table. */
export const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
