import { createRequire } from 'node:module';
import type * as SseParserModule from '../lib/sse-parser.js';
import type * as AlertEventModule from '../lib/alert-event.js';
import type * as AlertStreamModule from '../lib/alert-stream.js';
import type * as BackoffModule from '../lib/backoff.js';
import type * as MqttSourceModule from '../lib/mqtt-source.js';
import type * as AlertActionsModule from '../lib/alert-actions.js';

/** Node's own require: the package is CommonJS, loaded exactly as Node-RED loads it (not through Vite). */
export const requireCjs = createRequire(import.meta.url);

export const { SseParser } = requireCjs('../lib/sse-parser.js') as typeof SseParserModule;
export const { parseAlertEvent, compileFilter, splitList, toMessage } = requireCjs('../lib/alert-event.js') as typeof AlertEventModule;
export const { AlertStream } = requireCjs('../lib/alert-stream.js') as typeof AlertStreamModule;
export const { backoffDelay } = requireCjs('../lib/backoff.js') as typeof BackoffModule;
export const { MqttAlertSource, loadMqtt } = requireCjs('../lib/mqtt-source.js') as typeof MqttSourceModule;
export const { alertIdOf } = requireCjs('../lib/alert-actions.js') as typeof AlertActionsModule;

/** Small deterministic PRNG (mulberry32) for garbage inputs and jitter. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Polls `check` until it returns true; fails naming `what` after `timeoutMs` (a deadline, not a measurement). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
