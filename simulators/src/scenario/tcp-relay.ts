import net from 'node:net';

/** How a severed link behaves. */
export type SeverMode = 'blackhole' | 'reset';

export interface TcpRelayStats {
  /** Connections accepted since start. */
  accepted: number;
  /** Connections currently forwarded (or held while blackholed). */
  open: number;
  /** Bytes forwarded client → upstream and upstream → client. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes swallowed while blackholed. */
  bytesDropped: number;
  /** Times the link was severed. */
  severs: number;
}

/** A loopback TCP relay in front of an upstream server, which a scenario can sever and restore. */
export interface TcpRelay {
  /** Loopback port clients connect to. */
  readonly port: number;
  readonly host: '127.0.0.1';
  /** Whether the link is severed now. */
  readonly severed: boolean;
  /**
   * Cuts the link. `blackhole` (a cut fibre, a dead 4G modem): connections stay open but nothing passes in either
   * direction and new ones are accepted and then hear nothing, so peers find out by their own timeouts
   * (MQTT keep-alive, CONNACK timeout). `reset`: every connection is destroyed at once and new ones are refused.
   */
  sever(mode?: SeverMode): void;
  /** Ends the outage: connections held during it are closed (the peers have given up on them) and new ones pass. */
  restore(): void;
  stats(): TcpRelayStats;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

export interface TcpRelayOptions {
  /** The upstream server (a broker). */
  upstream: { host: string; port: number };
  /** Loopback port to listen on; 0 (default) picks a free one. */
  port?: number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

/** Starts a relay on 127.0.0.1 (never another interface: it exists to simulate, not to expose). */
export async function startTcpRelay(opts: TcpRelayOptions): Promise<TcpRelay> {
  const pairs = new Set<Pair>();
  const stats: TcpRelayStats = { accepted: 0, open: 0, bytesUp: 0, bytesDown: 0, bytesDropped: 0, severs: 0 };
  let mode: SeverMode | undefined;

  const destroy = (pair: Pair): void => {
    if (!pairs.delete(pair)) return;
    stats.open = pairs.size;
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const server = net.createServer((client) => {
    stats.accepted += 1;
    client.setNoDelay(true);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    stats.open = pairs.size;
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    client.on('data', (chunk: Buffer) => {
      if (mode !== undefined || !pair.upstream) {
        stats.bytesDropped += chunk.length;
        return;
      }
      stats.bytesUp += chunk.length;
      pair.upstream.write(chunk);
    });
    // A connection accepted during a blackhole hears nothing, and is never connected upstream.
    if (mode === 'blackhole') return;
    client.pause();
    const upstream = net.connect(opts.upstream.port, opts.upstream.host, () => client.resume());
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    upstream.on('data', (chunk: Buffer) => {
      if (mode !== undefined) {
        stats.bytesDropped += chunk.length;
        return;
      }
      stats.bytesDown += chunk.length;
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    host: '127.0.0.1',
    get severed() {
      return mode !== undefined;
    },
    sever(how = 'blackhole') {
      stats.severs += 1;
      mode = how;
      if (how !== 'reset') return;
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        destroy(pair);
      }
    },
    restore() {
      if (mode === undefined) return;
      mode = undefined;
      for (const pair of [...pairs]) destroy(pair);
    },
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const pair of [...pairs]) destroy(pair);
        server.close(() => resolve());
      })),
  };
}
