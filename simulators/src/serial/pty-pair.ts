import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, stat, unlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { codedError } from '../util/errors.js';

/** A virtual null-modem cable: two pseudo-terminals joined by socat, each reachable through a stable symlink. */
export interface PtyPair {
  /** The end the simulated device opens and writes its frames to. */
  readonly devicePath: string;
  /** The end the edge agent opens as its serial port. */
  readonly hostPath: string;
  /** Process id of the socat joining the two ends. */
  readonly pid: number;
  /** Stops socat (SIGTERM, SIGKILL after `killTimeoutMs`) and resolves once it has exited. Idempotent. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** File name of the device end's symlink inside `dir`. Default `ttySIM`. */
  deviceName?: string;
  /** File name of the host end's symlink inside `dir`. Default `ttyDEV`. */
  hostName?: string;
  /** How long to wait for both symlinks before giving up, ms. Default 5000. */
  readyTimeoutMs?: number;
  /** How long close() waits after SIGTERM before SIGKILL, ms. Default 2000. */
  killTimeoutMs?: number;
  /** The socat executable. Default `socat` (looked up on PATH). */
  socatPath?: string;
}

/** Error codes of openPtyPair. */
export const PTY_ERRORS = {
  /** socat is not installed (or `socatPath` is wrong). */
  socatMissing: 'IOC_ERR_SOCAT_MISSING',
  /** socat exited or the links did not appear in time; the message carries socat's last stderr lines. */
  start: 'IOC_ERR_PTY_START',
} as const;

const POLL_MS = 10;
const STDERR_TAIL_CHARS = 2000;

/**
 * Opens a pty pair with `socat -d -d pty,raw,echo=0,link=DIR/ttySIM pty,raw,echo=0,link=DIR/ttyDEV` and resolves once
 * both links exist. socat stays in our process group and is killed synchronously when this process exits, so no
 * socat outlives its parent (except after SIGKILL of the parent, which nothing can intercept). Stale symlinks
 * left by a killed run are replaced.
 */
export async function openPtyPair(dir: string, options: PtyPairOptions = {}): Promise<PtyPair> {
  const devicePath = join(dir, options.deviceName ?? 'ttySIM');
  const hostPath = join(dir, options.hostName ?? 'ttyDEV');
  await removeStaleLink(devicePath);
  await removeStaleLink(hostPath);

  const child = spawn(
    options.socatPath ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const watch = watchChild(child);
  try {
    await waitForLinks([devicePath, hostPath], options.readyTimeoutMs ?? 5000, watch);
  } catch (err) {
    await terminate(child, options.killTimeoutMs ?? 2000);
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw codedError(PTY_ERRORS.start, 'socat started without a pid');

  // An open pair must not keep the process alive by itself; the exit hook below reaps socat.
  child.unref();
  (child.stderr as Socket | null)?.unref();
  const killOnExit = (): void => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', killOnExit);
  // Once socat has exited its pid may be reused: never signal it again.
  child.once('exit', () => process.off('exit', killOnExit));

  let closing: Promise<void> | undefined;
  return {
    devicePath,
    hostPath,
    pid,
    close: () => (closing ??= terminate(child, options.killTimeoutMs ?? 2000)),
  };
}

interface ChildWatch {
  /** Set when spawning failed or socat exited early. */
  failure(): Error | undefined;
}

function watchChild(child: ChildProcess): ChildWatch {
  let stderrTail = '';
  let failure: Error | undefined;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
  });
  child.once('error', (err: NodeJS.ErrnoException) => {
    failure =
      err.code === 'ENOENT'
        ? codedError(
            PTY_ERRORS.socatMissing,
            `socat not found (${err.message}); install it with \`sudo apt-get install socat\``,
            err,
          )
        : codedError(PTY_ERRORS.start, `could not start socat: ${err.message}`, err);
  });
  child.once('exit', (code, signal) => {
    failure ??= codedError(
      PTY_ERRORS.start,
      `socat exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) before both links existed:\n${stderrTail}`,
    );
  });
  return { failure: () => failure };
}

async function waitForLinks(paths: string[], timeoutMs: number, watch: ChildWatch): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = watch.failure();
    if (failure) throw failure;
    if ((await Promise.all(paths.map(linkReady))).every(Boolean)) return;
    if (Date.now() > deadline) {
      throw codedError(PTY_ERRORS.start, `pty links ${paths.join(', ')} did not appear within ${timeoutMs} ms`);
    }
    await sleep(POLL_MS);
  }
}

/** True once the symlink exists and points at an existing pty. */
async function linkReady(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function removeStaleLink(path: string): Promise<void> {
  try {
    const info = await lstat(path);
    if (!info.isSymbolicLink()) {
      throw codedError(PTY_ERRORS.start, `${path} exists and is not a symlink; refusing to replace it`);
    }
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function terminate(child: ChildProcess, killTimeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killTimeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
