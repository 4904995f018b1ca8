import { minutesOfDay, parseDuration } from './duration.js';
import type { When } from './schema.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** One occurrence of a window: [startMs, endMs) in scenario time (epoch ms). */
export interface Occurrence {
  readonly startMs: number;
  readonly endMs: number;
}

/** When something holds, compiled against a run's origin: pure functions of scenario time. */
export interface Window {
  /** The occurrence holding at `t`, if any. */
  at(t: number): Occurrence | undefined;
  /** The first start or end strictly after `t`; undefined when nothing changes any more. */
  nextBoundaryAfter(t: number): number | undefined;
}

export interface TimeContext {
  /** Scenario time at the start of the run, epoch ms. */
  readonly originMs: number;
  /** Local time = UTC + this many hours. */
  readonly utcOffsetHours: number;
}

/** Compiles a validated `when` (see WhenSchema; load.ts has checked the combination of fields). */
export function compileWhen(when: When, ctx: TimeContext): Window {
  if (when.daily !== undefined) return dailyWindow(when.daily, when.weekdays, ctx);
  const lengthMs = parseDuration(when.for ?? '0ms');
  const startMs = when.at !== undefined ? Date.parse(when.at) : ctx.originMs + parseDuration(when.after ?? '0ms');
  if (when.every !== undefined) return periodicWindow(startMs, parseDuration(when.every), lengthMs);
  return onceWindow(startMs, startMs + lengthMs);
}

function onceWindow(startMs: number, endMs: number): Window {
  return {
    at: (t) => (t >= startMs && t < endMs ? { startMs, endMs } : undefined),
    nextBoundaryAfter: (t) => (t < startMs ? startMs : t < endMs ? endMs : undefined),
  };
}

function periodicWindow(phaseMs: number, periodMs: number, lengthMs: number): Window {
  const startOf = (t: number): number => phaseMs + Math.floor((t - phaseMs) / periodMs) * periodMs;
  return {
    at(t) {
      if (t < phaseMs) return undefined;
      const startMs = startOf(t);
      return t < startMs + lengthMs ? { startMs, endMs: startMs + lengthMs } : undefined;
    },
    nextBoundaryAfter(t) {
      if (t < phaseMs) return phaseMs;
      const startMs = startOf(t);
      return t < startMs + lengthMs ? startMs + lengthMs : startMs + periodMs;
    },
  };
}

/** `HH:MM-HH:MM` every local day (optionally only on `weekdays`, 1 = Monday, of the day the window opens). */
function dailyWindow(spec: string, weekdays: readonly number[] | undefined, ctx: TimeContext): Window {
  const [from = '00:00', to = '00:00'] = spec.split('-');
  const fromMin = minutesOfDay(from);
  let lengthMin = minutesOfDay(to) - fromMin;
  if (lengthMin <= 0) lengthMin += 24 * 60;
  const offsetMs = ctx.utcOffsetHours * 3_600_000;
  const allowed = (startMs: number): boolean => {
    if (!weekdays) return true;
    const localDay = new Date(startMs + offsetMs).getUTCDay(); // 0 = Sunday
    return weekdays.includes(localDay === 0 ? 7 : localDay);
  };
  /** Occurrences opening on the local days from `t`'s day + `fromDay` to + `toDay`. */
  const around = (t: number, fromDay: number, toDay: number): Occurrence[] => {
    const localMidnight = Math.floor((t + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
    const list: Occurrence[] = [];
    for (let d = fromDay; d <= toDay; d++) {
      const startMs = localMidnight + d * DAY_MS + fromMin * MINUTE_MS;
      if (allowed(startMs)) list.push({ startMs, endMs: startMs + lengthMin * MINUTE_MS });
    }
    return list;
  };
  return {
    at: (t) => around(t, -1, 0).find((o) => t >= o.startMs && t < o.endMs),
    nextBoundaryAfter(t) {
      const next = around(t, -1, 8).flatMap((o) => [o.startMs, o.endMs]).filter((b) => b > t);
      return next.length ? Math.min(...next) : undefined;
    },
  };
}

/** Local calendar parts of scenario time `t`. */
export interface LocalTime {
  /** 0 = January. */
  month: number;
  /** 1 … 31. */
  day: number;
  daysInMonth: number;
  /** Fractional hour 0 ≤ h < 24. */
  hour: number;
}

export function localTime(t: number, utcOffsetHours: number): LocalTime {
  const d = new Date(t + utcOffsetHours * 3_600_000);
  const month = d.getUTCMonth();
  return {
    month,
    day: d.getUTCDate(),
    daysInMonth: new Date(Date.UTC(d.getUTCFullYear(), month + 1, 0)).getUTCDate(),
    hour: d.getUTCHours() + d.getUTCMinutes() / 60 + d.getUTCSeconds() / 3600 + d.getUTCMilliseconds() / 3_600_000,
  };
}
