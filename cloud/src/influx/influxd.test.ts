import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, INFLUXD_MISSING_MESSAGE, InfluxdErrorCode, startInfluxd, type InfluxdError } from './influxd.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let root: string;
let dirs = 0;
const freshDir = () => path.join(root, `influxd-${++dirs}`);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ioc-influxd-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** True while `pid` is a live process (a zombie awaiting its reaper counts as gone). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

async function startError(promise: Promise<unknown>): Promise<InfluxdError> {
  return promise.then(
    () => {
      throw new Error('expected startInfluxd to fail');
    },
    (err: unknown) => err as InfluxdError,
  );
}

async function script(name: string, body: string): Promise<string> {
  const file = path.join(root, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('startInfluxd', () => {
  it('starts influxd on loopback ports, answers /ping, and leaves no process after stop()', async () => {
    const influxd = await startInfluxd({ dataDir: freshDir() });
    expect(influxd.url).toBe(`http://127.0.0.1:${influxd.httpPort}`);
    const ping = await fetch(`${influxd.url}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toMatch(/^1\./);
    const config = await readFile(influxd.configPath, 'utf8');
    expect(config).toContain(`bind-address = "127.0.0.1:${influxd.bindPort}"`);
    expect(config).toContain(`bind-address = "127.0.0.1:${influxd.httpPort}"`);
    await expect(connects(influxd.bindPort)).resolves.toBe(true); // the RPC port is ours, on loopback

    await influxd.stop();
    expect(() => process.kill(influxd.pid, 0)).toThrow();
    await expect(influxd.exited).resolves.toBeDefined();
    await influxd.stop(); // idempotent
    await expect(fetch(`${influxd.url}/ping`)).rejects.toThrow();
  });

  it('keeps data in dataDir across restarts', async () => {
    const dataDir = freshDir();
    const first = await startInfluxd({ dataDir });
    await fetch(`${first.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE "kept"' }) });
    await first.stop();
    const second = await startInfluxd({ dataDir });
    const res = await fetch(`${second.url}/query?q=${encodeURIComponent('SHOW DATABASES')}`);
    expect(JSON.stringify(await res.json())).toContain('"kept"');
    await second.stop();
  });

  it('refuses a second influxd on a data directory in use, and frees it on stop()', async () => {
    const dataDir = freshDir();
    const first = await startInfluxd({ dataDir });
    const err = await startError(startInfluxd({ dataDir }));
    expect(err.code).toBe(InfluxdErrorCode.START);
    expect(err.message).toContain(`is in use by process ${process.pid}`);
    await first.stop();
    const second = await startInfluxd({ dataDir });
    await second.stop();
  });

  it('runs two instances at once on different ports', async () => {
    const [a, b] = await Promise.all([startInfluxd({ dataDir: freshDir() }), startInfluxd({ dataDir: freshDir() })]);
    expect(new Set([a.httpPort, a.bindPort, b.httpPort, b.bindPort]).size).toBe(4);
    expect(a.pid).not.toBe(b.pid);
    expect((await fetch(`${a.url}/ping`)).status).toBe(204);
    expect((await fetch(`${b.url}/ping`)).status).toBe(204);
    await Promise.all([a.stop(), b.stop()]);
    expect(isRunning(a.pid) || isRunning(b.pid)).toBe(false);
  });

  it('explains how to install InfluxDB when the binary is missing', async () => {
    const err = await startError(startInfluxd({ dataDir: freshDir(), binary: '/nonexistent/influxd' }));
    expect(err.code).toBe(InfluxdErrorCode.MISSING);
    expect(err.message).toBe(
      'InfluxDB 1.x is not installed: run "sudo apt-get install -y influxdb" (Debian/Ubuntu), or pass --influx-url to use a running one',
    );
    expect(err.message).toBe(INFLUXD_MISSING_MESSAGE);
  });

  it('fails with the tail of its output when influxd exits during start-up', async () => {
    const binary = await script('crashes.sh', 'echo "run: open server: something broke" >&2; exit 3');
    const err = await startError(startInfluxd({ dataDir: freshDir(), binary }));
    expect(err.code).toBe(InfluxdErrorCode.START);
    expect(err.message).toContain('exit code 3');
    expect(err.message).toContain('run: open server: something broke');
  });

  it('fails on an explicitly requested port that is taken, without retrying elsewhere', async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const warnings: string[] = [];
      const log = { debug: () => undefined, info: () => undefined, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
      const err = await startError(startInfluxd({ dataDir: freshDir(), httpPort: port, log }));
      expect(Date.now() - started).toBeLessThan(900); // noticed the exit, did not wait out a probe timeout
      expect(err.code).toBe(InfluxdErrorCode.START);
      expect(err.message).toContain(`127.0.0.1:${port}: bind: address already in use`);
      expect(err.pid !== undefined && isRunning(err.pid)).toBe(false);
      expect(warnings.filter((w) => w.includes('retrying'))).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('retries with fresh ports when a port it picked was taken in between', async () => {
    // Fails like influxd does on the first run (naming the HTTP port from its config), then runs the real influxd.
    const binary = await script(
      'port-race.sh',
      `marker="$(dirname "$2")/failed-once"
       if [ ! -e "$marker" ]; then
         touch "$marker"
         port=$(sed -n 's/^  bind-address = "127.0.0.1:\\([0-9]*\\)"$/\\1/p' "$2")
         echo "run: open server: open service: listen tcp 127.0.0.1:$port: bind: address already in use" >&2
         exit 1
       fi
       exec influxd "$@"`,
    );
    const warnings: string[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
    const influxd = await startInfluxd({ dataDir: freshDir(), binary, log });
    expect((await fetch(`${influxd.url}/ping`)).status).toBe(204);
    expect(warnings.filter((w) => w.includes('retrying with new ports'))).toHaveLength(1);
    await influxd.stop();
  });

  it('accepts a pino logger', async () => {
    const influxd = await startInfluxd({ dataDir: freshDir(), log: pino({ level: 'silent' }) });
    await influxd.stop();
  });

  it('gives up after readyTimeoutMs and kills what it started', async () => {
    const binary = await script('hangs.sh', 'exec sleep 30');
    const started = Date.now();
    const err = await startError(startInfluxd({ dataDir: freshDir(), binary, readyTimeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.code).toBe(InfluxdErrorCode.START);
    expect(err.message).toContain('did not answer');
    expect(err.pid).toBeTypeOf('number');
    expect(isRunning(err.pid ?? -1)).toBe(false);
  });

  it('kills influxd when the Node process that started it exits without stop()', async () => {
    const dir = await transpileInfluxModules();
    await writeFile(
      path.join(dir, 'main.js'),
      `import { startInfluxd } from './influxd.js';
       const influxd = await startInfluxd({ dataDir: process.argv[2] });
       process.stdout.write(String(influxd.pid));
       process.exit(0);`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'main.js'), freshDir()]);
    const pid = Number(stdout);
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(() => !isRunning(pid))).toBe(true);
  });

  it('findFreePort returns a port that can be bound', async () => {
    const port = await findFreePort();
    await expect(connects(port)).resolves.toBe(false);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** This folder's modules as plain ESM in a temp dir, so a separate `node` process can run them. */
async function transpileInfluxModules(): Promise<string> {
  const out = path.join(root, 'js');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const file of await readdir(here)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const source = await readFile(path.join(here, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    await writeFile(path.join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  return out;
}
