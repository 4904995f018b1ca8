/**
 * NowCast of PM2.5 / PM10 for the hourly VN_AQI (QĐ 1459), computed exactly.
 *
 * Input: hourly means c1 (the current hour) … c12, `null` for an hour without data. Contract:
 * - only the first 12 entries are used; NaN, ±Infinity and negative values count as missing hours;
 * - valid only if at least 2 of c1, c2, c3 have data, otherwise the result is null ("no data", never 0);
 * - w* = Cmin / Cmax over the hours with data, w = max(w*, ½); Cmax = 0 gives 0;
 * - NowCast = Σ w^(i−1)·ci / Σ w^(i−1), both sums over the hours with data (the normalised form, our Decision).
 */
import { ratioOf, reduce, toNumber, type Ratio } from './exact.js';

/** Hours of history the NowCast looks at. */
export const NOWCAST_HOURS = 12;

/** The NowCast as an exact rational, or null when fewer than 2 of c1..c3 have data. */
export function nowCastRatio(hourlyMeans: readonly (number | null | undefined)[]): Ratio | null {
  const hours = hourlyMeans.slice(0, NOWCAST_HOURS).map(asConcentration);
  if (hours.slice(0, 3).filter((c) => c !== null).length < 2) return null;
  const present = hours.flatMap((c, i) => (c === null ? [] : [{ i, c }]));
  // One common denominator (a power of ten, since every input is a decimal), so the c_i become integers N_i.
  const den = present.reduce((d, { c }) => (c.d > d ? c.d : d), 1n);
  const scaled = present.map(({ i, c }) => ({ i, N: (c.n * den) / c.d }));
  const cMax = scaled.reduce((m, { N }) => (N > m ? N : m), 0n);
  if (cMax === 0n) return { n: 0n, d: 1n };
  const cMin = scaled.reduce((m, { N }) => (N < m ? N : m), cMax);
  // w = p/q; weights multiplied by q^(last index) so that every weight p^i·q^(last−i) is an integer.
  const [p, q] = 2n * cMin < cMax ? [1n, 2n] : [cMin, cMax];
  const last = BigInt(hours.length - 1);
  let num = 0n;
  let sumW = 0n;
  for (const { i, N } of scaled) {
    const w = p ** BigInt(i) * q ** (last - BigInt(i));
    num += w * N;
    sumW += w;
  }
  return reduce({ n: num, d: den * sumW });
}

/** The NowCast in µg/m³ (nearest double of the exact value), or null; see the module contract. */
export function nowCast(hourlyMeans: readonly (number | null | undefined)[]): number | null {
  const r = nowCastRatio(hourlyMeans);
  return r === null ? null : toNumber(r);
}

function asConcentration(c: number | null | undefined): Ratio | null {
  return typeof c === 'number' && Number.isFinite(c) && c >= 0 ? ratioOf(c) : null;
}
