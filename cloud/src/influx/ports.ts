import net from 'node:net';

/**
 * Asks the kernel for `count` distinct free TCP ports on 127.0.0.1: every port is held by a listening socket until
 * all are known, then all are released. A port is free when returned, not reserved: whoever binds it later must
 * handle EADDRINUSE (another process may take it in between).
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(await listenOnAnyPort(server));
    }
    return ports;
  } finally {
    await Promise.all(servers.map(closeServer));
  }
}

/** One free TCP port on 127.0.0.1 (see {@link findFreePorts} for the race this cannot rule out). */
export async function findFreePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  if (port === undefined) throw new Error('findFreePorts(1) returned no port');
  return port;
}

function listenOnAnyPort(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address.port);
      else reject(new Error(`unexpected server address ${String(address)}`));
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
