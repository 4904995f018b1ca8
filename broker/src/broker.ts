import net from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { authHooks, type RefusalReason } from './auth/adapter.js';
import type { CredentialVerifier } from './auth/principal.js';

export interface BrokerOptions {
  /** TCP port for MQTT; 0 picks a free one. */
  port: number;
  /** Interface to bind; default 127.0.0.1 (a deployment binds 0.0.0.0 deliberately). */
  host?: string;
  credentials: CredentialVerifier;
  log: Logger;
  /** Seconds; a client's keep-alive above this is refused. Default 1200. */
  keepaliveLimitSec?: number;
  /** Messages queued per offline persistent session before aedes refuses more. Default 42. */
  queueLimit?: number;
}

export interface BrokerStats {
  connected: number;
  admitted: number;
  refusals: Record<RefusalReason, number>;
  publishedIn: number;
}

export interface RunningBroker {
  readonly port: number;
  readonly url: string;
  stats(): BrokerStats;
  /** Stops accepting, disconnects clients and closes aedes. */
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.log;
  const refusals: Record<RefusalReason, number> = {
    anonymous: 0, unknown: 0, bad_secret: 0, revoked: 0, client_id_mismatch: 0,
    auth_error: 0, publish_denied: 0, subscribe_denied: 0,
  };
  let admitted = 0;
  let publishedIn = 0;
  const hooks = authHooks(opts.credentials, {
    refused(reason, clientId, detail) {
      refusals[reason] += 1;
      log.warn({ reason, clientId, detail }, 'mqtt refused');
    },
    admitted(principal, clientId) {
      admitted += 1;
      log.info({ clientId, principal }, 'mqtt client admitted');
    },
  });
  const aedes = await Aedes.createBroker({
    authenticate: hooks.authenticate,
    authorizePublish: hooks.authorizePublish,
    authorizeSubscribe: hooks.authorizeSubscribe,
    keepaliveLimit: opts.keepaliveLimitSec ?? 1200,
    ...(opts.queueLimit !== undefined ? { queueLimit: opts.queueLimit } : {}),
  });
  aedes.on('publish', (_packet, client) => { if (client) publishedIn += 1; });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'connection error'));

  const server = net.createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host ?? '127.0.0.1';
  log.info({ port, host }, 'mqtt broker listening');

  return {
    port,
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    stats: () => ({ connected: aedes.connectedClients, admitted, refusals: { ...refusals }, publishedIn }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
    },
  };
}
