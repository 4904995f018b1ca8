/** Real time and timers, injectable so that tests drive schedules with a fake clock. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Calls `fn` once after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Node's timers cap a delay at 2³¹−1 ms (≈ 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const timer = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told to: advance() fires due timers in time order, setting now() to each's time. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer due on the way (timers they set are fired too if due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = target;
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }
}

/**
 * Scenario time: `originMs` at the moment the clock starts, then `speed` scenario ms per real ms. Values, episodes and
 * fault schedules follow it; readings are still stamped by whoever measures them (the edge agent's real clock).
 */
export interface ScenarioClock {
  readonly speed: number;
  /** Scenario time at the start of the run, epoch ms. */
  readonly originMs: number;
  /** Whether scenario time runs (before start() it stands at originMs). */
  readonly started: boolean;
  /** Scenario time now, epoch ms. */
  now(): number;
  /** Lets scenario time run from now on. Idempotent. */
  start(): void;
  /** Runs `fn` when scenario time reaches `t` (at once if it has); returns a function that cancels it. Needs start(). */
  at(t: number, fn: () => void): () => void;
}

export function createScenarioClock(opts: { originMs: number; speed: number; real?: Clock; paused?: boolean }): ScenarioClock {
  const real = opts.real ?? systemClock;
  const { originMs, speed } = opts;
  if (!(speed > 0)) throw new RangeError('speed must be > 0');
  let realStart: number | undefined = opts.paused ? undefined : real.now();
  const now = (): number => (realStart === undefined ? originMs : originMs + (real.now() - realStart) * speed);
  return {
    speed,
    originMs,
    get started() {
      return realStart !== undefined;
    },
    now,
    start() {
      realStart ??= real.now();
    },
    at(t, fn) {
      if (realStart === undefined) throw new Error('the scenario clock has not started');
      let cancel: () => void = () => undefined;
      let cancelled = false;
      const arm = (): void => {
        const delay = Math.ceil((t - now()) / speed);
        if (delay <= 0) {
          fn();
          return;
        }
        // Long waits are re-armed in steps, so Node's timer cap never fires anything early.
        cancel = real.setTimer(Math.min(delay, MAX_TIMER_MS), () => {
          if (!cancelled) arm();
        });
      };
      arm();
      return () => {
        cancelled = true;
        cancel();
      };
    },
  };
}
