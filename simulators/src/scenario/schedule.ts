import { parseDuration } from './duration.js';
import type { Scenario } from './scenario.js';
import type { EpisodeSpec, FaultSpec } from './schema.js';
import { compileWhen, type Occurrence, type Window } from './timeline.js';

/** A fault of the scenario with its compiled window. */
export interface ScheduledFault {
  /** Index in the scenario's `faults` (names it in logs: `faults[3]`). */
  readonly index: number;
  readonly spec: FaultSpec;
  /** `gateway/sensor`, or the gateway id for network-loss. */
  readonly target: string;
  readonly window: Window;
}

export interface ScheduledEpisode {
  readonly spec: EpisodeSpec;
  readonly window: Window;
  readonly rampMs: number;
}

/** A fault holding at some instant, with the occurrence that makes it hold. */
export interface ActiveFault {
  readonly fault: ScheduledFault;
  readonly occurrence: Occurrence;
}

/** A scenario's episodes and faults placed in time for one run (or one backfill): pure functions of scenario time. */
export interface Schedule {
  /** Scenario time at the start of the run, epoch ms. */
  readonly originMs: number;
  readonly utcOffsetHours: number;
  readonly faults: readonly ScheduledFault[];
  readonly episodes: readonly ScheduledEpisode[];
  /** Faults holding at `t`. */
  activeFaults(t: number): ActiveFault[];
  /** The first instant after `t` when some fault starts or ends; undefined if none ever does. */
  nextFaultBoundaryAfter(t: number): number | undefined;
  /** Product of the episode multipliers of `metric` at `site` at `t` (1 outside every episode). */
  episodeFactor(site: string, metric: string, t: number): number;
}

export function compileSchedule(scenario: Scenario, originMs: number): Schedule {
  const ctx = { originMs, utcOffsetHours: scenario.spec.utcOffsetHours };
  const faults: ScheduledFault[] = scenario.spec.faults.map((spec, index) => ({
    index,
    spec,
    target: spec.sensor === undefined ? spec.gateway : `${spec.gateway}/${spec.sensor}`,
    window: compileWhen(spec.when, ctx),
  }));
  const episodes: ScheduledEpisode[] = scenario.spec.episodes.map((spec) => ({
    spec,
    window: compileWhen(spec.when, ctx),
    rampMs: spec.ramp === undefined ? 0 : parseDuration(spec.ramp),
  }));
  return {
    originMs,
    utcOffsetHours: ctx.utcOffsetHours,
    faults,
    episodes,
    activeFaults: (t) =>
      faults.flatMap((fault) => {
        const occurrence = fault.window.at(t);
        return occurrence ? [{ fault, occurrence }] : [];
      }),
    nextFaultBoundaryAfter(t) {
      const next = faults.map((f) => f.window.nextBoundaryAfter(t)).filter((b): b is number => b !== undefined);
      return next.length ? Math.min(...next) : undefined;
    },
    episodeFactor(site, metric, t) {
      let factor = 1;
      for (const e of episodes) {
        if (!e.spec.metrics.includes(metric) || (e.spec.sites && !e.spec.sites.includes(site))) continue;
        const o = e.window.at(t);
        if (!o) continue;
        const intensity = e.rampMs > 0 ? Math.min(1, (t - o.startMs) / e.rampMs, (o.endMs - t) / e.rampMs) : 1;
        factor *= 1 + (e.spec.factor - 1) * intensity;
      }
      return factor;
    },
  };
}
