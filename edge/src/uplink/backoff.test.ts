import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from min to max, each delay drawn in [½, 1] of the cap', () => {
    const high = new Backoff(100, 1000, () => 1);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    const low = new Backoff(100, 1000, () => 0);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('starts again from min after reset', () => {
    const b = new Backoff(100, 1000, () => 1);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('spreads gateways that failed together', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const firstDelays = Array.from({ length: 50 }, () => new Backoff(1000, 60_000, random).next());
    expect(Math.min(...firstDelays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...firstDelays)).toBeLessThanOrEqual(1000);
    expect(new Set(firstDelays).size).toBeGreaterThan(40);
  });
});
