import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real redis-server on a free loopback port, in a temp dir, nothing saved to disk. */
export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:port/db — one database per test keeps them apart. */
  url(db: number): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-redis-'));
  const pidfile = path.join(dir, 'redis.pid');
  const port = await freePort();
  execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--pidfile', pidfile, '--dir', dir, '--logfile', path.join(dir, 'redis.log'), '--databases', '64']);
  for (let i = 0; i < 200 && !(await pong(port)); i++) await new Promise((r) => setTimeout(r, 25));
  const pid = Number(readFileSync(pidfile, 'utf8'));
  return {
    port,
    url: (db) => `redis://127.0.0.1:${port}/${db}`,
    async stop() {
      if (alive(pid)) process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
