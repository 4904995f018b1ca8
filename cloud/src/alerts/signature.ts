import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-IOC-Signature: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is inside the MAC, so a receiver rejecting old `t` (5 min) defeats replays.
 */
export function signBody(secret: string, body: string, t: number): string {
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** What a receiver does (and what our tests use as the independent check). */
export function verifySignature(secret: string, body: string, header: string, now: number, toleranceMs = 5 * 60_000): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  const v1 = parts.v1 ?? '';
  if (!Number.isInteger(t) || Math.abs(now - t) > toleranceMs || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
