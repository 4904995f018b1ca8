import type { ScenarioClock } from './clock.js';
import type { ActiveFault, Schedule } from './schedule.js';

/** A fault starting or ending, at the scenario time it was due. */
export interface FaultEvent {
  readonly phase: 'start' | 'end';
  readonly fault: ActiveFault['fault'];
  readonly occurrence: ActiveFault['occurrence'];
  /** Scenario time of the transition, epoch ms (the boundary, not when the timer happened to run). */
  readonly scenarioMs: number;
}

export interface FaultTimer {
  /** Faults holding now. */
  active(): readonly ActiveFault[];
  /** No event after this returns. */
  stop(): void;
}

/**
 * Walks a schedule's fault boundaries on a scenario clock and reports each transition once, in order: at start,
 * `start` for every fault already holding; then, at each boundary, `end` events before `start` events.
 */
export function startFaultTimer(schedule: Schedule, clock: ScenarioClock, onEvent: (e: FaultEvent) => void): FaultTimer {
  const idOf = (a: ActiveFault): string => `${a.fault.index}@${a.occurrence.startMs}`;
  let current = new Map<string, ActiveFault>();
  let cancel: () => void = () => undefined;
  let stopped = false;

  const step = (t: number): void => {
    const next = new Map(schedule.activeFaults(t).map((a) => [idOf(a), a]));
    for (const [id, a] of current) if (!next.has(id)) onEvent({ phase: 'end', ...a, scenarioMs: t });
    for (const [id, a] of next) if (!current.has(id)) onEvent({ phase: 'start', ...a, scenarioMs: t });
    current = next;
  };
  /** Steps through every boundary already passed, then arms a timer for the next one. */
  const advance = (from: number): void => {
    for (let t = from; !stopped; ) {
      step(t);
      const boundary = schedule.nextFaultBoundaryAfter(t);
      if (boundary === undefined || stopped) return;
      if (boundary > clock.now()) {
        cancel = clock.at(boundary, () => advance(boundary));
        return;
      }
      t = boundary;
    }
  };
  advance(clock.now());
  return {
    active: () => [...current.values()],
    stop() {
      stopped = true;
      cancel();
    },
  };
}
