// Stateless noise: a pure function of (seed, key, time), so a value at a given scenario time is the same whoever
// asks and in whatever order — a live run, a backfill and a test agree to the last digit.

/** 32-bit FNV-1a of a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes integers into one 32-bit hash (murmur3 finaliser per step). */
function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h ^= Math.imul((p | 0) ^ Math.floor(p / 4294967296), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Uniform in [0, 1) for (seed, key, index). */
export function uniformAt(seed: number, key: number, index: number): number {
  return mix(seed, key, index) / 4294967296;
}

/** Standard normal (Box–Muller) for (seed, key, index). */
export function normalAt(seed: number, key: number, index: number): number {
  const u1 = 1 - uniformAt(seed, key, index * 2);
  const u2 = uniformAt(seed, key, index * 2 + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

const SLOW_BUCKET_MS = 15 * 60_000;
const FAST_BUCKET_MS = 1000;

/**
 * Noise of unit variance at scenario time `t`: a slow part (fresh every 15 min, eased in between: the weather
 * drifting) and a fast part (fresh every second: the instrument). Same (seed, key, t), same value.
 */
export function noiseAt(seed: number, key: number, t: number): number {
  const k = Math.floor(t / SLOW_BUCKET_MS);
  const f = (t - k * SLOW_BUCKET_MS) / SLOW_BUCKET_MS;
  const ease = (1 - Math.cos(Math.PI * f)) / 2;
  const slow = normalAt(seed, key, k) * (1 - ease) + normalAt(seed, key, k + 1) * ease;
  const fast = normalAt(seed, key ^ 0x5bd1e995, Math.floor(t / FAST_BUCKET_MS));
  // The eased mix of two normals has variance ≥ 0.5; 0.8/0.6 keeps the sum near unit variance.
  return 0.8 * slow + 0.6 * fast;
}
