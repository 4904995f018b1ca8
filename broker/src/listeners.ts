import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { BrokerError, BrokerErrorCode } from './errors.js';
import type { TlsListenerOptions } from './options.js';

export interface Listener {
  readonly port: number;
  /** Stops accepting new connections; those open stay open. */
  stop(): void;
  /** Stops accepting, closes every connection still open (half-open ones included) and resolves when done. */
  close(): Promise<void>;
}

export interface ListenerHooks {
  /** Called with each raw TCP connection before anything is read (or the TLS handshake starts); false closes it. */
  admit(socket: net.Socket): boolean;
  /** Hands an accepted (and for TLS, handshaken) connection to aedes. */
  handle(socket: net.Socket): void;
  /** A TLS handshake failed (bad or missing client certificate, timeout, not TLS at all). */
  tlsError?(err: Error & { code?: string }, socket: net.Socket): void;
}

async function listen(server: net.Server, host: string, port: number, what: string): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new BrokerError(BrokerErrorCode.LISTEN, `${what} cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  return (server.address() as AddressInfo).port;
}

/** Tracks a server's sockets (one Set entry each, no closure) so close() can end the half-open ones. */
function lifecycle(server: net.Server, port: number): Listener {
  const sockets = new Set<net.Socket>();
  function forget(this: net.Socket): void {
    sockets.delete(this);
  }
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', forget);
  });
  let closed: Promise<void> | undefined;
  const stop = (): void => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    stop,
    async close() {
      stop();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Plain MQTT over TCP. Nagle is off: it adds ~40 ms to every QoS 1 round trip. */
export async function listenTcp(host: string, port: number, hooks: ListenerHooks): Promise<Listener> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (hooks.admit(socket)) hooks.handle(socket);
    else socket.destroy();
  });
  const bound = await listen(server, host, port, 'MQTT (TCP)');
  return lifecycle(server, bound);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BrokerError(BrokerErrorCode.LISTEN, `cannot read the TLS ${what} file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * MQTT over TLS. With a CA, clients are asked for a certificate; `requireClientCert` fails the
 * handshake without a valid one. The handshake counts against the connect timeout.
 */
export async function listenTls(host: string, opts: TlsListenerOptions, handshakeTimeoutMs: number, hooks: ListenerHooks): Promise<Listener> {
  const server = tls.createServer({
    cert: readPem(opts.certFile, 'certificate'),
    key: readPem(opts.keyFile, 'key'),
    ...(opts.caFile ? { ca: readPem(opts.caFile, 'CA'), requestCert: true, rejectUnauthorized: opts.requireClientCert ?? false } : {}),
    handshakeTimeout: handshakeTimeoutMs,
    noDelay: true,
  });
  // 'connection' is the raw TCP socket, before the handshake: refused addresses cost no crypto.
  server.on('connection', (socket: net.Socket) => {
    if (!hooks.admit(socket)) socket.destroy();
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.setNoDelay(true);
    hooks.handle(socket);
  });
  server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
    hooks.tlsError?.(err, socket);
    socket.destroy();
  });
  const bound = await listen(server, host, opts.port, 'MQTT (TLS)');
  return lifecycle(server, bound);
}
