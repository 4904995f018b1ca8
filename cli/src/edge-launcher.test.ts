import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '@ioc/broker';
import { decodeTelemetry } from '@ioc/protocol';
import { encodePms5003Frame, openPtyPair, type PtyPair } from '@ioc/simulators';

/**
 * `ioc-edge`, the launcher a gateway's systemd unit starts (cli/bin/ioc-edge.js): the agent under V8 flags for a small
 * memory, started through its `#!/usr/bin/env -S node …` line as the unit does. Its memory is measured by bench
 * edge-rss; this proves that the agent works under those flags (no optimizing compiler, no WebAssembly).
 */
const LAUNCHER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/ioc-edge.js');

let dir: string;
let pty: PtyPair;
let broker: RunningBroker;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-edge-launcher-'));
  pty = await openPtyPair(dir);
  broker = await startBroker({
    port: 0,
    log: pino({ level: 'silent' }),
    credentials: {
      verify: async (username, password) => {
        if (username === 'gw-01' && password.toString() === 'gw-secret') return { ok: true, principal: { kind: 'gateway', site: 'ha-nam', gateway: 'gw-01' } };
        if (username === 'svc-ingest') return { ok: true, principal: { kind: 'service', name: username, role: 'ingest' } };
        return { ok: false, reason: 'bad_secret' };
      },
    },
  });
});
afterAll(async () => {
  await broker.close();
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A preload that makes TypeBox unloadable, by import and by require: with it, an agent that loads TypeBox fails. The
 * agent validates with checks generated at build time and loads TypeBox (~9 MB) only to explain an invalid value.
 */
function forbidTypebox(): string {
  const file = path.join(dir, 'forbid-typebox.mjs');
  const hook = "export async function resolve(s, c, n) { if (/^typebox(\\/|$)/.test(s)) throw new Error('TypeBox imported by ' + c.parentURL); return n(s, c); }";
  writeFileSync(
    file,
    [
      "import Module, { register } from 'node:module';",
      'const resolveFilename = Module._resolveFilename;',
      'Module._resolveFilename = function (request, ...rest) {',
      "  if (/^typebox(\\/|$)/.test(request)) throw new Error('TypeBox required: ' + request);",
      '  return resolveFilename.call(this, request, ...rest);',
      '};',
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`,
    ].join('\n'),
  );
  return file;
}

/** Runs the launcher to its end; its exit code and what it wrote. */
function runLauncher(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(LAUNCHER, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A PMS5003 frame with pm2.5 = k (atmospheric), everything else zero. */
const frame = (k: number): Buffer => encodePms5003Frame({ pm1_cf1: 0, pm25_cf1: 0, pm10_cf1: 0, pm1: 0, pm25: k, pm10: 0, counts: [0, 0, 0, 0, 0, 0], version: 0, error: 0 });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('ioc-edge, the gateway launcher', () => {
  it('runs the agent under its V8 flags: frames on a pty reach the broker, /healthz answers, SIGTERM ends it with 0', async () => {
    const httpPort = await freePort();
    const config = path.join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        gateway: { site: 'ha-nam', id: 'gw-01' },
        dataDir: path.join(dir, 'data'),
        mqtt: { url: broker.url, password: 'gw-secret' },
        http: { port: httpPort },
        clock: { referenceUrl: `http://127.0.0.1:${httpPort}/healthz` },
        uplink: { lingerMs: 5 },
        inputs: [{ driver: 'pms5003', id: 'pms-1', port: pty.hostPath, sensor: 'pm-01', emitCounts: false }],
      }),
    );
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'svc-ingest', username: 'svc-ingest', password: 'x', reconnectPeriod: 0 });
    const pm25: number[] = [];
    sub.on('message', (_topic, payload) => {
      const batch = decodeTelemetry(payload);
      if (batch.ok) for (const r of batch.value.readings) if (r.metric === 'pm25') pm25.push(r.value);
    });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });

    const env = { ...process.env, NODE_OPTIONS: `--import=${forbidTypebox()}` };
    const child = spawn(LAUNCHER, ['run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const device = openSync(pty.devicePath, 'w');
    try {
      for (let k = 1; k <= 300 && !pm25.includes(40); k++) {
        if (k % 10 === 0) writeSync(device, frame(40)); // until the port is open a frame may be lost
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(pm25).toContain(40);
      // The flags reached V8: env -S split the shebang line into node's arguments (env has exec'd node by now).
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toEqual(expect.arrayContaining(['--max-semi-space-size=1', '--lite-mode', LAUNCHER, 'run']));
      const health = (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { status: string; mqtt: string };
      expect(health).toMatchObject({ status: 'ok', mqtt: 'connected' });
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      // No V8 warning about conflicting flags, no crash of undici (the clock check) without WebAssembly, and no
      // TypeBox: a valid config and valid readings pass the generated checks alone.
      expect(stderr).not.toMatch(/Warning|WebAssembly|Error|TypeBox/);
    } finally {
      closeSync(device);
      if (child.exitCode === null) child.kill('SIGKILL');
      await sub.endAsync(true);
    }
  });

  it('explains an invalid config under its V8 flags, loading TypeBox only then', async () => {
    const config = path.join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ gateway: { site: 'ha-nam', id: 'gw-01' }, mqtt: { url: 'mqtt://x', password: 's', keepaliveSec: 2 }, inputs: [] }));
    const checked = await runLauncher(['check', '--config', config]);
    expect(checked.code).not.toBe(0);
    expect(checked.stderr).toContain('mqtt.keepaliveSec');
    expect(checked.stderr).not.toMatch(/Warning/);
    // The control for the test above: the preload does stop TypeBox from loading.
    const forbidden = await runLauncher(['check', '--config', config], { ...process.env, NODE_OPTIONS: `--import=${forbidTypebox()}` });
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toContain('TypeBox required: typebox/compile');
  });
});
