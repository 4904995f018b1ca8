import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockDataDir } from './data-dir-lock.js';
import { renderInfluxdConfig } from './influxd-config.js';
import { findFreePorts } from './ports.js';
import { SupervisedChild, type ChildExit, type ChildLogger } from './supervised-child.js';

export { findFreePort, findFreePorts } from './ports.js';
export type { ChildExit as InfluxdExit, ChildLogger as InfluxdLogger } from './supervised-child.js';

/** Stable codes of the errors startInfluxd() rejects with; check `err.code`, not `instanceof`. */
export const InfluxdErrorCode = {
  /** The influxd binary was not found; the message says how to install it. */
  MISSING: 'IOC_ERR_INFLUXD_MISSING',
  /** influxd started but exited, or did not answer /ping in time; the message ends with the tail of its output. */
  START: 'IOC_ERR_INFLUXD_START',
} as const;
export type InfluxdErrorCode = (typeof InfluxdErrorCode)[keyof typeof InfluxdErrorCode];

/** An Error carrying a stable code; `pid` is set when the process had started. */
export interface InfluxdError extends Error {
  code: InfluxdErrorCode;
  pid?: number;
}

export const INFLUXD_MISSING_MESSAGE =
  'InfluxDB 1.x is not installed: run "sudo apt-get install -y influxdb" (Debian/Ubuntu), ' +
  'or pass --influx-url to use a running one';

export interface StartInfluxdOptions {
  /** Directory for the config file and meta/, data/, wal/; created if missing, reused across starts. */
  dataDir: string;
  /** HTTP API port on 127.0.0.1; 0 or undefined picks a free one. */
  httpPort?: number;
  /** RPC (backup/restore) port on 127.0.0.1; 0 or undefined picks a free one. */
  bindPort?: number;
  /** Program to run; default `influxd` from PATH. */
  binary?: string;
  /** Receives start/stop events and every line influxd prints (it logs at warn level). */
  log?: ChildLogger;
  /** How long to wait for /ping to answer 204; default 15,000 ms. */
  readyTimeoutMs?: number;
}

/** A running influxd owned by this process: stop() it, or it is SIGKILLed when this process exits. */
export interface ManagedInfluxd {
  /** Base URL of the HTTP API, `http://127.0.0.1:PORT`. */
  url: string;
  httpPort: number;
  bindPort: number;
  pid: number;
  /** The config file written for this run, inside dataDir. */
  configPath: string;
  /** Resolves when the process has exited, whether by stop() or by crashing. */
  exited: Promise<ChildExit>;
  /** SIGTERM, SIGKILL after 10 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 1_000;

interface RunPlan {
  dataDir: string;
  binary: string;
  httpPort: number;
  bindPort: number;
  /** Ports chosen by us, which another try may replace (ports the caller asked for are never swapped). */
  pickedPorts: number[];
  readyTimeoutMs: number;
  log: ChildLogger | undefined;
}

/**
 * Starts influxd 1.x with a config written under `dataDir` and resolves once it answers /ping as itself (the pid
 * reported by SHOW DIAGNOSTICS matches, so another server on a raced port is never mistaken for ours). If a port we
 * picked was taken in between, retries with fresh ports, up to 3 tries in all. Holds `dataDir/influxd.lock` while
 * influxd runs: a second start on the same directory fails with IOC_ERR_INFLUXD_START instead of sharing it.
 */
export async function startInfluxd(opts: StartInfluxdOptions): Promise<ManagedInfluxd> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir);
  if (!('release' in lock)) {
    const message = `data directory ${dataDir} is in use by process ${lock.ownerPid} (lock file ${lock.lockFile})`;
    throw Object.assign(new Error(message), { code: InfluxdErrorCode.START });
  }
  try {
    const influxd = await startWithPortRetries(opts, dataDir);
    void influxd.exited.then(lock.release); // also when it crashes
    return { ...influxd, stop: () => influxd.stop().then(lock.release) };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startWithPortRetries(opts: StartInfluxdOptions, dataDir: string): Promise<ManagedInfluxd> {
  for (let attempt = 1; ; attempt++) {
    const plan = await planRun(opts, dataDir);
    try {
      return await runOnce(plan);
    } catch (err) {
      const port = portInUse(err);
      if (attempt >= PORT_ATTEMPTS || port === undefined || !plan.pickedPorts.includes(port)) throw err;
      plan.log?.warn({ attempt, port }, 'influxd: a picked port was taken meanwhile; retrying with new ports');
    }
  }
}

async function planRun(opts: StartInfluxdOptions, dataDir: string): Promise<RunPlan> {
  const wanted = [checkPort('httpPort', opts.httpPort), checkPort('bindPort', opts.bindPort)] as const;
  const picked = await findFreePorts(wanted.filter((port) => port === 0).length);
  const unused = [...picked];
  const take = (port: number) => (port !== 0 ? port : (unused.shift() ?? 0));
  return {
    dataDir,
    binary: opts.binary ?? 'influxd',
    httpPort: take(wanted[0]),
    bindPort: take(wanted[1]),
    pickedPorts: picked,
    readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    log: opts.log,
  };
}

function checkPort(name: string, port: number | undefined): number {
  if (port === undefined) return 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`${name}: must be an integer 0..65535`);
  return port;
}

async function runOnce(plan: RunPlan): Promise<ManagedInfluxd> {
  const configPath = path.join(plan.dataDir, 'influxd.conf');
  await writeFile(configPath, renderInfluxdConfig(plan));
  const child = new SupervisedChild(plan.binary, ['-config', configPath], plan.log);
  const pid = await child.spawned.catch((err: unknown) => {
    throw spawnError(err, plan.binary);
  });
  const url = `http://127.0.0.1:${plan.httpPort}`;
  try {
    await waitUntilReady(url, pid, child, plan.readyTimeoutMs);
  } catch (err) {
    await child.stop(0);
    throw err;
  }
  plan.log?.info({ pid, url }, 'influxd ready');
  const stop = async () => {
    await child.stop(STOP_GRACE_MS);
    plan.log?.info({ pid }, 'influxd stopped');
  };
  return { url, httpPort: plan.httpPort, bindPort: plan.bindPort, pid, configPath, exited: child.exited, stop };
}

async function waitUntilReady(url: string, pid: number, child: SupervisedChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = new AbortController(); // cuts a probe short when the child dies under it
  void child.exited.then(() => exited.abort());
  for (;;) {
    const exit = child.exitInfo;
    if (exit !== undefined) throw startError(`influxd exited during start-up (${describeExit(exit)})`, child);
    if (await answersAs(url, pid, exited.signal)) return;
    if (Date.now() >= deadline) throw startError(`influxd did not answer ${url}/ping within ${timeoutMs} ms`, child);
    await Promise.race([sleep(POLL_INTERVAL_MS), child.exited]);
  }
}

/** True if `url` answers /ping with 204 and SHOW DIAGNOSTICS reports process `pid`. */
async function answersAs(url: string, pid: number, cancel: AbortSignal): Promise<boolean> {
  try {
    const signal = AbortSignal.any([cancel, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
    const ping = await fetch(`${url}/ping`, { signal });
    await ping.arrayBuffer();
    if (ping.status !== 204) return false;
    const query = `${url}/query?q=${encodeURIComponent('SHOW DIAGNOSTICS')}`;
    const diagnostics = await fetch(query, { signal });
    return diagnosticsPid(await diagnostics.json()) === pid;
  } catch {
    return false;
  }
}

interface DiagnosticsBody {
  results?: { series?: { name?: string; columns?: string[]; values?: unknown[][] }[] }[];
}

function diagnosticsPid(body: unknown): number | undefined {
  const series = (body as DiagnosticsBody).results?.[0]?.series;
  const system = Array.isArray(series) ? series.find((s) => s.name === 'system') : undefined;
  const column = system?.columns?.indexOf('PID') ?? -1;
  const pid = system?.values?.[0]?.[column];
  return typeof pid === 'number' ? pid : undefined;
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
}

function startError(reason: string, child: SupervisedChild): InfluxdError {
  const output = child.output.toString();
  const message = `${reason}: ${output === '' ? '(no output)' : output}`;
  return Object.assign(new Error(message), { code: InfluxdErrorCode.START, pid: child.pid });
}

function spawnError(err: unknown, binary: string): InfluxdError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return Object.assign(new Error(INFLUXD_MISSING_MESSAGE, { cause: err }), { code: InfluxdErrorCode.MISSING });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`cannot run ${binary}: ${reason}`, { cause: err }), { code: InfluxdErrorCode.START });
}

/** The port named in influxd's "listen tcp 127.0.0.1:PORT: bind: address already in use", if that is why it failed. */
function portInUse(err: unknown): number | undefined {
  if ((err as Partial<InfluxdError>).code !== InfluxdErrorCode.START) return undefined;
  const match = /127\.0\.0\.1:(\d+): bind: address already in use/.exec((err as Error).message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
