// Test support only: a TCP relay between a client and a real server that cuts the byte streams into UA-TCP messages
// and lets a test see, alter, drop, duplicate or inject them: the network as an attacker or a bad link would be.
import { connect, createServer, type Socket } from 'node:net';

/** What to forward for one message: the messages (or bytes) to send instead, and whether to cut both sockets then. */
export type RelayVerdict = Buffer[] | { readonly send: Buffer[]; readonly thenClose: true };

export interface RelayHooks {
  /** A whole message from the server (its 8-byte header included) on connection `conn` (0, 1, …), the index-th. */
  fromServer?(message: Buffer, conn: number, index: number): RelayVerdict;
  fromClient?(message: Buffer, conn: number, index: number): RelayVerdict;
}

export interface Relay {
  readonly endpointUrl: string;
  /** Messages seen so far per connection and direction, by type ('HEL', 'OPN', 'MSG', 'CLO', …). */
  readonly seen: { conn: number; from: 'client' | 'server'; type: string }[];
  close(): Promise<void>;
}

export async function startRelay(targetPort: number, hooks: RelayHooks = {}): Promise<Relay> {
  const sockets: Socket[] = [];
  const seen: Relay['seen'] = [];
  let connections = 0;
  const relay = createServer((client) => {
    const conn = connections;
    connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.push(client, upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    pipe(client, upstream, (m, i) => {
      seen.push({ conn, from: 'client', type: m.toString('latin1', 0, 3) });
      return hooks.fromClient?.(m, conn, i) ?? [m];
    }, end);
    pipe(upstream, client, (m, i) => {
      seen.push({ conn, from: 'server', type: m.toString('latin1', 0, 3) });
      return hooks.fromServer?.(m, conn, i) ?? [m];
    }, end);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    seen,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

function pipe(from: Socket, to: Socket, hook: (message: Buffer, index: number) => RelayVerdict, end: () => void): void {
  let pending = Buffer.alloc(0);
  let index = 0;
  from.on('data', (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 8 && pending.length >= pending.readUInt32LE(4)) {
      const size = pending.readUInt32LE(4);
      if (size < 8) {
        to.write(pending); // not UA-TCP framing: pass it on as it is
        pending = Buffer.alloc(0);
        break;
      }
      const message = pending.subarray(0, size);
      pending = pending.subarray(size);
      const verdict = hook(Buffer.from(message), index);
      index += 1;
      const send = Array.isArray(verdict) ? verdict : verdict.send;
      for (const out of send) to.write(out);
      if (!Array.isArray(verdict)) {
        to.end(() => end());
        return;
      }
    }
  });
}
