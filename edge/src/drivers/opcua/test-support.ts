// Test support only: a DriverContext that records readings and logs, and a polling wait without timed assertions.
import type { Reading } from '@ioc/protocol';
import type { DriverContext, DriverLogger } from '../../driver.js';

export interface Harness {
  ctx: DriverContext;
  readings: Reading[];
  logs: { level: string; msg: string; obj?: object }[];
}

/** A context whose clock is `now()` (default: fixed at 2025-01-01T00:00:00Z). */
export function harness(now: () => number = () => Date.UTC(2025, 0, 1)): Harness {
  const h: Harness = { readings: [], logs: [], ctx: undefined as unknown as DriverContext };
  const logFn =
    (level: string) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') h.logs.push({ level, msg: objOrMsg });
      else h.logs.push({ level, msg: msg ?? '', obj: objOrMsg });
    };
  const log: DriverLogger = { debug: logFn('debug'), info: logFn('info'), warn: logFn('warn'), error: logFn('error') };
  h.ctx = { sink: (readings) => h.readings.push(...readings), log, now };
  return h;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it holds; throws naming `what` after timeoutMs (a hang guard, not an assertion on speed), with
 * `state()` in the message when given (e.g. the driver's stats and logs, to see where it stood).
 */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000, state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${state ? `; state: ${JSON.stringify(state())}` : ''}`);
    }
    await sleep(10);
  }
}
