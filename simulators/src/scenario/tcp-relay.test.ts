import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';

/** An upstream that echoes every byte and counts its connections. */
let upstream: net.Server;
let upstreamConnections = 0;
let upstreamBytes = 0;
let relay: TcpRelay;
const clients: net.Socket[] = [];

beforeEach(async () => {
  upstreamConnections = 0;
  upstreamBytes = 0;
  upstream = net.createServer((s) => {
    upstreamConnections += 1;
    s.on('data', (d) => {
      upstreamBytes += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  relay = await startTcpRelay({ upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port } });
});

afterEach(async () => {
  clients.forEach((c) => c.destroy());
  clients.length = 0;
  await relay.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

/** A client of the relay, with what it has received and how it ended. */
async function connect(): Promise<{ socket: net.Socket; received: () => string; ended: Promise<string> }> {
  const socket = net.connect(relay.port, '127.0.0.1');
  clients.push(socket);
  let text = '';
  socket.on('data', (d) => (text += d.toString()));
  const ended = new Promise<string>((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.on('close', () => resolve('close'));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text, ended };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the loopback TCP relay', () => {
  it('listens on loopback and passes bytes both ways', async () => {
    expect(relay.host).toBe('127.0.0.1');
    const c = await connect();
    c.socket.write('ping');
    await until(() => c.received() === 'ping', 'the echo');
    expect(relay.stats()).toMatchObject({ accepted: 1, open: 1, bytesUp: 4, bytesDown: 4, bytesDropped: 0 });
  });

  it('blackholes a severed link: nothing passes, new connections hear nothing; restore closes them and links work again', async () => {
    const before = await connect();
    before.socket.write('a');
    await until(() => before.received() === 'a', 'the first echo');

    relay.sever('blackhole');
    expect(relay.severed).toBe(true);
    before.socket.write('lost');
    await until(() => relay.stats().bytesDropped === 4, 'the relay to swallow the bytes');
    const during = await connect(); // TCP accepts: the far end just never answers
    during.socket.write('hello?');
    await until(() => relay.stats().bytesDropped === 10, 'the second client’s bytes to be swallowed');
    expect(upstreamBytes).toBe(1);
    expect(upstreamConnections).toBe(1);
    expect(before.received()).toBe('a');
    expect(during.received()).toBe('');

    relay.restore();
    expect(await before.ended).toBe('close');
    expect(await during.ended).toBe('close');
    const after = await connect();
    after.socket.write('back');
    await until(() => after.received() === 'back', 'the echo after restore');
    expect(upstreamConnections).toBe(2);
    expect(relay.stats()).toMatchObject({ severs: 1, accepted: 3, open: 1 });
  });

  it('resets a severed link: connections are destroyed and new ones refused until restore', async () => {
    const c = await connect();
    relay.sever('reset');
    expect(['ECONNRESET', 'close']).toContain(await c.ended);
    const refused = net.connect(relay.port, '127.0.0.1');
    clients.push(refused);
    const outcome = await new Promise<string>((resolve) => {
      refused.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      refused.on('close', () => resolve('close'));
      refused.on('data', () => resolve('data'));
    });
    expect(['ECONNRESET', 'close']).toContain(outcome);
    relay.restore();
    const again = await connect();
    again.socket.write('x');
    await until(() => again.received() === 'x', 'the echo after restore');
  });
});
