import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `ioc up` as a user runs it: the real bin in a child process. It must come up, serve, and on Ctrl-C
 * stop everything it started (influxd, socat) and exit 0. Runs the compiled CLI: `npm test` builds first.
 */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/ioc.js');
const homes: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  // A failed assertion must not leave an `ioc up` (and its influxd) running: Ctrl-C it, then force.
  for (const c of children.filter((x) => x.exitCode === null && x.signalCode === null)) {
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
}, 30_000);

function newHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'ioc-up-'));
  homes.push(home);
  return home;
}

/** Processes whose command line mentions `needle` (our influxd and socat carry the home path). */
function processesMentioning(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', needle], { encoding: 'utf8' }).trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('ioc up', () => {
  it('brings the simulated site up, serves readings, and leaves nothing behind on Ctrl-C', async () => {
    const home = newHome();
    const child = spawn(process.execPath, [BIN, 'up', '--home', home, '--http-port', '0', '--mqtt-port', '0', '--influx-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, IOC_LOG_LEVEL: 'debug' },
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    for (let i = 0; i < 300 && !out.includes('Ctrl-C stops everything'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('IOC Telemetry is up.');
    const api = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(api).toBeDefined();
    expect(out).toContain(`admin token  ${path.join(home, 'admin.token')}`);
    const token = readFileSync(path.join(home, 'admin.token'), 'utf8').trim();

    let count = 0;
    for (let i = 0; i < 100 && count === 0; i++) {
      const res = await fetch(`${api}/api/v1/telemetry?sensor=pm-01&metric=pm25`, { headers: { authorization: `Bearer ${token}` } });
      count = ((await res.json()) as { count: number }).count;
      if (count === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBeGreaterThan(0);
    expect(processesMentioning(home).some((p) => p.includes('influxd'))).toBe(true);
    // node-opcua (the simulated stations, the agents' OPC-UA inputs) writes into the log, not over the banner.
    expect(out).not.toMatch(/NODE-OPCUA|verify_pcks1|Creating default certificate/);
    expect(readFileSync(path.join(home, 'ioc.log'), 'utf8')).toMatch(/"component":"node-opcua".*"source":"node-opcua"/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Stopped.');
    expect(processesMentioning(home)).toEqual([]);
  }, 60_000);

  it('says how to install InfluxDB when influxd is missing, and exits 1', async () => {
    const home = newHome();
    const child = spawn(process.execPath, [BIN, 'up', '--home', home, '--http-port', '0', '--mqtt-port', '0', '--influx-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: home }, // an empty folder: no influxd anywhere on PATH
    });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('sudo apt-get install -y influxdb');
    expect(err).toContain('IOC_ERR_INFLUXD_MISSING');
  }, 30_000);
});
