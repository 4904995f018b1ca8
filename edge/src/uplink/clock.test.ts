import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClockWatch, measureClockSkew } from './clock.js';

const log = pino({ level: 'silent' });
// The gateway's (fake) clock: 10:00:00.250 UTC.
const GATEWAY_NOW = Date.UTC(2025, 10, 25, 10, 0, 0, 250);
let serverTime = GATEWAY_NOW;
let sendDate = true;
let url: string;
const server = http.createServer((_req, res) => {
  res.sendDate = false;
  if (sendDate) res.setHeader('Date', new Date(serverTime).toUTCString());
  res.writeHead(404).end();
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/health`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('clock skew against an HTTP Date header', () => {
  it.each([
    ['20 s ahead', -20_000, 19_750],
    ['in step', 0, -250],
    ['an hour behind', 3_600_000, -3_600_250],
  ])('measures a gateway %s (whatever the HTTP status)', async (_name, serverOffsetMs, expected) => {
    serverTime = GATEWAY_NOW + serverOffsetMs;
    // The header has whole seconds: the server's time lay in [10:00:00, 10:00:01); the midpoint is taken.
    expect(await measureClockSkew(url, () => GATEWAY_NOW)).toBe(expected);
  });

  it('reports the skew only beyond maxSkewMs, and says when that changes', async () => {
    sendDate = true;
    let changes = 0;
    const watch = new ClockWatch({ referenceUrl: url, maxSkewMs: 5000, intervalMs: 3_600_000, log, now: () => GATEWAY_NOW, onChange: () => (changes += 1) });
    serverTime = GATEWAY_NOW - 3000;
    await watch.check();
    expect([watch.skewMs, watch.reported(), changes]).toEqual([2750, undefined, 0]);
    serverTime = GATEWAY_NOW - 60_000;
    await watch.check();
    expect([watch.reported(), changes]).toEqual([59_750, 1]);
    await watch.check();
    expect(changes).toBe(1);
    serverTime = GATEWAY_NOW;
    await watch.check();
    expect([watch.reported(), changes]).toEqual([undefined, 2]);
  });

  it('keeps the last value when the reference sends no Date', async () => {
    const watch = new ClockWatch({ referenceUrl: url, maxSkewMs: 5000, intervalMs: 3_600_000, log, now: () => GATEWAY_NOW, onChange: () => undefined });
    serverTime = GATEWAY_NOW - 60_000;
    sendDate = true;
    await watch.check();
    sendDate = false;
    await expect(measureClockSkew(url)).rejects.toMatchObject({ code: 'IOC_ERR_CLOCK_REFERENCE' });
    await watch.check();
    expect(watch.reported()).toBe(59_750);
    sendDate = true;
  });
});
