import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets issued to gateways and services are stored only as scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url). N=2^14, r=8, p=1: ≈50 ms and 16 MiB per check on this class
 * of machine, the interactive-login minimum of RFC 7914 §2.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scryptAsync(secret: string | Buffer, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A fresh random secret: 32 bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of `secret` against a stored `hashSecret` string; false for any malformed hash. */
export async function verifySecret(secret: string | Buffer, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (!n || !r || !p || expected.length !== KEYLEN) return false;
  const key = await scryptAsync(secret, salt, n, r, p);
  return timingSafeEqual(key, expected);
}

/**
 * API tokens are 256-bit random values, so a fast hash is enough to keep them unusable if the
 * database leaks (no dictionary to attack); lookups by hash stay O(1).
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
