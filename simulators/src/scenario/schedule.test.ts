import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createScenarioClock, ManualClock } from './clock.js';
import { startFaultTimer, type FaultEvent } from './fault-timer.js';
import { loadScenarioFile } from './load.js';
import { compileSchedule } from './schedule.js';
import { compileWhen } from './timeline.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 2025-12-15 00:00 in Hà Nội (UTC+7). */
const MONDAY = Date.UTC(2025, 11, 14, 17);
const ctx = { originMs: MONDAY + 6 * HOUR, utcOffsetHours: 7 };

describe('windows', () => {
  it('after/for: one window from the origin', () => {
    const w = compileWhen({ after: '45m', for: '20m' }, ctx);
    expect(w.at(ctx.originMs + 44 * MIN)).toBeUndefined();
    expect(w.at(ctx.originMs + 45 * MIN)).toEqual({ startMs: ctx.originMs + 45 * MIN, endMs: ctx.originMs + 65 * MIN });
    expect(w.at(ctx.originMs + 65 * MIN)).toBeUndefined();
    expect(w.nextBoundaryAfter(ctx.originMs)).toBe(ctx.originMs + 45 * MIN);
    expect(w.nextBoundaryAfter(ctx.originMs + 45 * MIN)).toBe(ctx.originMs + 65 * MIN);
    expect(w.nextBoundaryAfter(ctx.originMs + 65 * MIN)).toBeUndefined();
  });

  it('every: repeats from its first occurrence', () => {
    const w = compileWhen({ every: '30m', after: '10m', for: '3m' }, ctx);
    expect(w.at(ctx.originMs + 5 * MIN)).toBeUndefined();
    expect(w.at(ctx.originMs + 71 * MIN)?.startMs).toBe(ctx.originMs + 70 * MIN);
    expect(w.at(ctx.originMs + 73 * MIN)).toBeUndefined();
    expect(w.nextBoundaryAfter(ctx.originMs + 73 * MIN)).toBe(ctx.originMs + 100 * MIN);
  });

  it('daily: local time, across midnight, on chosen weekdays only', () => {
    const w = compileWhen({ daily: '22:30-01:00', weekdays: [6] }, ctx); // Saturday night
    const saturday = MONDAY + 5 * DAY;
    expect(w.at(saturday + 22 * HOUR)).toBeUndefined();
    expect(w.at(saturday + 23 * HOUR)).toEqual({ startMs: saturday + 22.5 * HOUR, endMs: saturday + 25 * HOUR });
    expect(w.at(saturday + 24.5 * HOUR)?.startMs).toBe(saturday + 22.5 * HOUR); // Sunday 00:30 still in it
    expect(w.at(MONDAY + 23 * HOUR)).toBeUndefined(); // Monday night
    expect(w.nextBoundaryAfter(MONDAY)).toBe(saturday + 22.5 * HOUR);
  });
});

describe('the scenario clock', () => {
  it('stands at its origin until started, then runs at its speed', () => {
    const real = new ManualClock(1000);
    const clock = createScenarioClock({ originMs: MONDAY, speed: 60, real, paused: true });
    real.advance(5000); // devices starting
    expect(clock.now()).toBe(MONDAY);
    expect(() => clock.at(MONDAY + MIN, () => undefined)).toThrow(/not started/);
    clock.start();
    real.advance(1500);
    expect(clock.now()).toBe(MONDAY + 90_000);
    let fired = 0;
    clock.at(MONDAY + 2 * MIN, () => (fired += 1));
    real.advance(499);
    expect(fired).toBe(0);
    real.advance(1);
    expect(fired).toBe(1);
  });
});

describe('the fault timer', () => {
  it('fires each start and end at its scenario time, at 60× speed on a fake clock', async () => {
    const scenario = await loadScenarioFile(`${SCENARIOS}minimal.yaml`);
    const real = new ManualClock(1_000_000);
    const origin = MONDAY; // 00:00 local: camera-down daily 02:00–02:30 falls inside the first hours
    const clock = createScenarioClock({ originMs: origin, speed: 60, real });
    const schedule = compileSchedule(scenario, origin);
    const events: { phase: string; fault: number; scenarioMin: number; realSec: number; clockMin: number }[] = [];
    const timer = startFaultTimer(schedule, clock, (e: FaultEvent) =>
      events.push({
        phase: e.phase,
        fault: e.fault.index,
        scenarioMin: (e.scenarioMs - origin) / MIN,
        realSec: (real.now() - 1_000_000) / 1000,
        clockMin: (clock.now() - origin) / MIN,
      }),
    );
    real.advance(3 * 60 * 1000); // 3 real minutes = 3 scenario hours
    timer.stop();
    const expected: [string, number, number][] = [
      ['start', 0, 10], ['end', 0, 15], // dropout
      ['start', 1, 20], ['end', 1, 30], // stuck
      ['start', 2, 30], ['end', 2, 31], // spike
      ['start', 3, 40], ['end', 3, 45], // unplugged
      ['start', 4, 50], ['end', 4, 52], // garbage, every hour from 50 min
      ['start', 6, 60], ['end', 6, 80], // network loss
      ['start', 4, 110], ['end', 4, 112],
      ['start', 5, 120], ['end', 5, 150], // camera down 02:00–02:30 local
      ['start', 4, 170], ['end', 4, 172],
    ];
    expect(events.map((e) => [e.phase, e.fault, e.scenarioMin])).toEqual(expected);
    // Each fired when the scenario clock reached its time: scenario minutes = real seconds at 60×.
    for (const e of events) {
      expect(e.clockMin).toBe(e.scenarioMin);
      expect(e.realSec).toBe(e.scenarioMin);
    }
    expect(real.pending).toBe(0); // stop() cancelled the next timer
  });

  it('reports faults already holding at the start, and nothing after stop()', async () => {
    const scenario = await loadScenarioFile(`${SCENARIOS}minimal.yaml`);
    const real = new ManualClock(0);
    const origin = MONDAY + 2 * HOUR + 10 * MIN; // inside camera-down 02:00–02:30
    const clock = createScenarioClock({ originMs: origin, speed: 1, real });
    const events: string[] = [];
    const timer = startFaultTimer(compileSchedule(scenario, origin), clock, (e) => events.push(`${e.phase} ${e.fault.spec.kind} ${(e.scenarioMs - origin) / MIN}`));
    expect(events).toEqual(['start camera-down 0']);
    expect(timer.active().map((a) => a.fault.spec.kind)).toEqual(['camera-down']);
    real.advance(9 * MIN);
    expect(events).toEqual(['start camera-down 0']);
    real.advance(MIN);
    expect(events).toEqual(['start camera-down 0', 'start dropout 10']);
    timer.stop();
    real.advance(DAY);
    expect(events).toHaveLength(2);
  });
});
