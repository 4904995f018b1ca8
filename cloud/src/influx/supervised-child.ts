import { spawn, type ChildProcess } from 'node:child_process';

/** How a child ended: `code` when it exited by itself, `signal` when a signal ended it; both null if it never ran. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Minimal logger; a pino `Logger` satisfies it. */
export interface ChildLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

// Children still running. Node runs only synchronous code in 'exit' listeners, and SIGKILL is the only signal that
// needs no follow-up, so whatever is still here when this process exits is killed outright: no orphans.
const running = new Set<ChildProcess>();

function killRunningSync(): void {
  for (const child of running) child.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  if (running.size === 0) process.on('exit', killRunningSync);
  running.add(child);
}

function untrack(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) process.off('exit', killRunningSync);
}

/** Keeps the last `maxChars` characters written to it. */
export class OutputTail {
  private text = '';

  constructor(private readonly maxChars: number) {}

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.maxChars);
  }

  toString(): string {
    return this.text.trim();
  }
}

/**
 * A child process that is killed (SIGKILL) if this Node process exits first, whose stdout/stderr are kept as a
 * tail for error messages and forwarded line by line to the logger at warn level.
 */
export class SupervisedChild {
  /** Resolves with the pid once the OS started the program; rejects with the spawn error (e.g. ENOENT). */
  readonly spawned: Promise<number>;
  /** Resolves once the child has exited and its output is fully read (never rejects). */
  readonly exited: Promise<ChildExit>;
  /** Last output of the child, stderr and stdout interleaved. */
  readonly output = new OutputTail(4_000);
  private readonly child: ChildProcess;
  private exit: ChildExit | undefined;
  private stopping: Promise<void> | undefined;

  constructor(command: string, args: readonly string[], log?: ChildLogger) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    this.child.once('exit', () => untrack(this.child));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.onOutput(chunk, log));
    }
    let rejectSpawn: (err: Error) => void = () => undefined;
    this.spawned = new Promise((resolve, reject) => {
      rejectSpawn = reject;
      this.child.once('spawn', () => resolve(this.child.pid ?? -1));
    });
    this.exited = new Promise((resolve) => {
      const settle = (exit: ChildExit) => {
        untrack(this.child);
        this.exit ??= exit;
        resolve(this.exit);
      };
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => settle({ code, signal }));
      // 'error' is emitted when spawning fails (then no 'close' is guaranteed) or, rarely, when a kill fails.
      this.child.on('error', (err) => {
        rejectSpawn(err);
        if (this.child.pid === undefined) settle({ code: null, signal: null });
        else log?.warn({ pid: this.child.pid, err }, 'child process error');
      });
    });
  }

  /** The pid, or undefined if the program never started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How the child ended, once it has (output fully read); undefined while it runs. */
  get exitInfo(): ChildExit | undefined {
    return this.exit;
  }

  /**
   * SIGTERM, then SIGKILL if the child is still running after `graceMs` (0: SIGKILL at once). Resolves once it has
   * exited. Idempotent: later calls return the first call's promise.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.terminate(graceMs);
    return this.stopping;
  }

  private async terminate(graceMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) {
      await this.exited;
      return;
    }
    this.child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const escalation = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(escalation);
    }
  }

  private onOutput(chunk: string, log: ChildLogger | undefined): void {
    this.output.push(chunk);
    if (log === undefined) return;
    for (const line of chunk.split('\n')) {
      if (line.trim() !== '') log.warn({ pid: this.child.pid, line: line.trim() }, 'child output');
    }
  }
}
