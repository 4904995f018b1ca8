/**
 * Exact arithmetic on non-negative rationals (BigInt numerator / denominator), so that AQI rounding is decided on the
 * exact value of the formula and never on a binary floating-point approximation (`59.35` must round to 59 and
 * `109.5` to 110, however the doubles fall).
 *
 * A JS number is read as the decimal it prints as (its shortest round-trip form: `118.7`, not
 * `118.7000000000000028…`): that is the value the station reported.
 */

/** A rational n/d with n ≥ 0 and d > 0. Not necessarily reduced. */
export interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The exact decimal value of a finite non-negative number, as printed by `String(x)`. Throws RangeError otherwise. */
export function ratioOf(x: number): Ratio {
  const m = DECIMAL.exec(String(x));
  if (!Number.isFinite(x) || x < 0 || m === null) throw new RangeError(`not a finite non-negative number: ${x}`);
  const [, int = '0', frac = '', exp = '0'] = m;
  let n = BigInt(int + frac);
  let d = 10n ** BigInt(frac.length);
  const e = Number(exp);
  if (e > 0) n *= 10n ** BigInt(e);
  else d *= 10n ** BigInt(-e);
  return { n, d };
}

/** The integer n (≥ 0) as a Ratio. */
export function ratioInt(n: number | bigint): Ratio {
  return { n: BigInt(n), d: 1n };
}

/** Compares a and b: negative, zero or positive. */
export function compare(a: Ratio, b: Ratio): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The larger of a and b (a on a tie). */
export function maxRatio(a: Ratio, b: Ratio): Ratio {
  return compare(a, b) >= 0 ? a : b;
}

/** a / b for b > 0. */
export function divide(a: Ratio, b: Ratio): Ratio {
  return { n: a.n * b.d, d: a.d * b.n };
}

/** Arithmetic mean of one or more ratios (exact). */
export function mean(values: readonly Ratio[]): Ratio {
  if (values.length === 0) throw new RangeError('mean of nothing');
  let n = 0n;
  let d = 1n;
  for (const v of values) {
    if (d % v.d === 0n) {
      n += v.n * (d / v.d);
    } else {
      n = n * v.d + v.n * d;
      d *= v.d;
    }
  }
  return reduce({ n, d: d * BigInt(values.length) });
}

/** Rounds half up to an integer: 42.5 → 43, 42.4999… → 42 (decided exactly). */
export function roundHalfUp(r: Ratio): number {
  return Number((2n * r.n + r.d) / (2n * r.d));
}

/** Truncates towards zero to an integer count of 1/scale steps: truncate(9.05, 10) = 90 (i.e. 9.0). */
export function truncateTo(r: Ratio, scale: bigint): bigint {
  return (r.n * scale) / r.d;
}

/** The same rational with numerator and denominator divided by their gcd. */
export function reduce(r: Ratio): Ratio {
  const g = gcd(r.n, r.d);
  return g <= 1n ? r : { n: r.n / g, d: r.d / g };
}

/**
 * The double nearest to r (for display and for passing on; a value that is a short decimal, such as a mean of
 * 55.7, comes back as exactly the number that prints `55.7`, so ratioOf(toNumber(r)) = r for such values).
 */
export function toNumber(r: Ratio): number {
  const FRACTION_DIGITS = 30n;
  const scaled = (r.n * 10n ** FRACTION_DIGITS) / r.d;
  const digits = scaled.toString().padStart(Number(FRACTION_DIGITS) + 1, '0');
  const cut = digits.length - Number(FRACTION_DIGITS);
  return Number(`${digits.slice(0, cut)}.${digits.slice(cut)}`);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
