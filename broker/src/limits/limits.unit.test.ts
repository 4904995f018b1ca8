import { afterEach, describe, expect, it, vi } from 'vitest';
import { AddressGate } from './address-gate.js';
import { Throttle } from './throttle.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.tryTake(99)).toBe(false); // 0.99 of a token
    expect(b.tryTake(100)).toBe(true);
    expect(b.tryTake(10_000)).toBe(true); // refilled, capped at the burst
    expect(b.isFull(10_000)).toBe(false);
    expect(b.isFull(10_200)).toBe(true);
  });

  it('reserves tokens ahead, in order, up to the longest allowed wait', () => {
    const b = new TokenBucket(4, 1, 0); // one token every 250 ms
    expect(b.reserve(0, 600)).toBe(0);
    expect(b.reserve(0, 600)).toBe(250);
    expect(b.reserve(0, 600)).toBe(500);
    expect(b.reserve(0, 600)).toBe(-1); // due in 750 ms: refused, nothing reserved
    expect(b.reserve(500, 600)).toBe(250);
  });
});

describe('Throttle', () => {
  afterEach(() => vi.useRealTimers());

  it('releases callbacks at their due time, in scheduling order', () => {
    vi.useFakeTimers();
    const now = (): number => Date.now();
    const t = new Throttle(now);
    const out: string[] = [];
    const start = now();
    t.schedule(start + 100, () => out.push('a'));
    t.schedule(start + 100, () => out.push('b'));
    t.schedule(start + 250, () => out.push('c'));
    expect(t.pending).toBe(3);
    vi.advanceTimersByTime(99);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(out).toEqual(['a', 'b']);
    vi.advanceTimersByTime(150);
    expect(out).toEqual(['a', 'b', 'c']);
    expect(t.pending).toBe(0);
  });
});

describe('AddressGate', () => {
  it('rates each address apart and forgets refilled ones', () => {
    let now = 0;
    const g = new AddressGate(1, 2, () => now);
    expect([g.admit('10.0.0.1'), g.admit('10.0.0.1'), g.admit('10.0.0.1')]).toEqual([true, true, false]);
    expect(g.admit('10.0.0.2')).toBe(true);
    now = 1000;
    expect(g.admit('10.0.0.1')).toBe(true);
    now = 20_000;
    g.admit('10.0.0.3'); // sweeps: .1 and .2 have refilled
    expect(g.size).toBe(1);
  });
});
