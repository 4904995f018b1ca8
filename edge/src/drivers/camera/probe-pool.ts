import { setMaxListeners } from 'node:events';
import type { CameraProbeTarget } from './config.js';
import type { ProbeFn, ProbeOutcome } from './probes.js';

export interface ProbePoolOptions {
  readonly targets: readonly CameraProbeTarget[];
  /** Most probes in flight at once. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly probe: ProbeFn;
  /** The agent's clock, epoch ms: `startedAt` of each result. */
  now(): number;
  /** The outcome of camera `index`'s probe that began at `startedAt`. Never called after stop() resolves. */
  onResult(index: number, outcome: Exclude<ProbeOutcome, 'aborted'>, startedAt: number): void;
}

/** Probe outcomes by kind, for stats. */
export interface ProbePoolStats {
  probes: number;
  probeTimeouts: number;
  probeRefused: number;
  probeBadReplies: number;
  probeHttpErrors: number;
  probeErrors: number;
  /** Cameras not probed in a round because their previous probe was still queued or in flight. */
  probesSkipped: number;
}

/**
 * Runs rounds of probes with at most `concurrency` in flight, so a gateway with 200 cameras opens a bounded number
 * of sockets at a time. A camera still waiting from the previous round is not queued twice (counted as skipped).
 */
export class ProbePool {
  private readonly queue: { index: number; done: () => void }[] = [];
  private readonly busy = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly counters: ProbePoolStats = {
    probes: 0,
    probeTimeouts: 0,
    probeRefused: 0,
    probeBadReplies: 0,
    probeHttpErrors: 0,
    probeErrors: 0,
    probesSkipped: 0,
  };

  constructor(private readonly options: ProbePoolOptions) {
    // Each probe in flight listens to the one abort signal.
    setMaxListeners(options.concurrency + 10, this.abort.signal);
  }

  stats(): ProbePoolStats {
    return { ...this.counters };
  }

  /** Queues every camera once; resolves when the probes queued by this round have ended. */
  round(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const jobs = this.options.targets.flatMap((_, index) => {
      if (this.busy.has(index)) {
        this.counters.probesSkipped += 1;
        return [];
      }
      this.busy.add(index);
      return [new Promise<void>((done) => this.queue.push({ index, done }))];
    });
    this.pump();
    return Promise.all(jobs).then(() => undefined);
  }

  /** Aborts the probes in flight, drops the queue and waits for the sockets to close; no onResult after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const job of this.queue.splice(0)) job.done();
    await Promise.all(this.inFlight);
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.options.concurrency) {
      const job = this.queue.shift();
      if (!job) return;
      const running = this.run(job.index).finally(() => {
        this.inFlight.delete(running);
        this.busy.delete(job.index);
        job.done();
        this.pump();
      });
      this.inFlight.add(running);
    }
  }

  private async run(index: number): Promise<void> {
    const target = this.options.targets[index];
    if (!target) return;
    const startedAt = this.options.now();
    const outcome = await this.options.probe(target, this.options.timeoutMs, this.abort.signal).catch((): ProbeOutcome => 'error');
    if (this.stopped || outcome === 'aborted') return;
    this.count(outcome);
    this.options.onResult(index, outcome, startedAt);
  }

  private count(outcome: Exclude<ProbeOutcome, 'aborted'>): void {
    const c = this.counters;
    c.probes += 1;
    if (outcome === 'timeout') c.probeTimeouts += 1;
    else if (outcome === 'refused') c.probeRefused += 1;
    else if (outcome === 'bad-reply') c.probeBadReplies += 1;
    else if (outcome === 'http-status') c.probeHttpErrors += 1;
    else if (outcome === 'error') c.probeErrors += 1;
  }
}
