import { describe, expect, it } from 'vitest';
import { compare, mean, ratioOf, roundHalfUp, toNumber, truncateTo } from './exact.js';

describe('exact rationals', () => {
  it.each([
    [118.7, 1187n, 10n],
    [0, 0n, 1n],
    [42, 42n, 1n],
    [1e-7, 1n, 10_000_000n],
    [1.5e-7, 15n, 100_000_000n],
    [1e21, 10n ** 21n, 1n],
    [2.5e22, 25n * 10n ** 21n, 1n],
  ])('reads %d as the decimal it prints as', (x, n, d) => {
    const r = ratioOf(x);
    expect(r.n * d).toBe(n * r.d);
  });

  it.each([-1, NaN, Infinity])('refuses %d', (x) => {
    expect(() => ratioOf(x)).toThrow(RangeError);
  });

  it('rounds half up exactly', () => {
    expect(roundHalfUp({ n: 85n, d: 2n })).toBe(43);
    expect(roundHalfUp({ n: 84n, d: 2n })).toBe(42);
    expect(roundHalfUp({ n: 4249999999n, d: 100000000n })).toBe(42);
    expect(roundHalfUp({ n: 0n, d: 7n })).toBe(0);
  });

  it('truncates to a resolution', () => {
    expect(truncateTo(ratioOf(9.05), 10n)).toBe(90n);
    expect(truncateTo(ratioOf(4.35), 100n)).toBe(435n); // 4.35 * 100 is 434.99999999999994 in floats
  });

  it('means exactly and gives back short decimals as the double that prints them', () => {
    const m = mean([ratioOf(55.6), ratioOf(55.8), ratioOf(55.7)]);
    expect(toNumber(m)).toBe(55.7);
    expect(toNumber(mean([ratioOf(0.1), ratioOf(0.2)]))).toBe(0.15);
    expect(toNumber(mean([ratioOf(1), ratioOf(2), ratioOf(2)]))).toBeCloseTo(5 / 3, 15);
    expect(compare(ratioOf(0.1), ratioOf(0.10000000000000002))).toBe(-1);
  });
});
