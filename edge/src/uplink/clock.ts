import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';

/**
 * Clock skew of the gateway against an HTTP server's `Date` header (RFC 9110 §6.6.1: every origin server with a
 * clock sends one), ms, positive when the gateway is ahead. MQTT carries no time, so this is the pragmatic reference:
 * point it at the cloud API. `Date` has a resolution of one second, so the result is within ±(500 ms + half the
 * round trip): fine for a threshold of seconds, which is what it is for.
 */
export async function measureClockSkew(url: string, now: () => number = Date.now, timeoutMs = 10_000): Promise<number> {
  const sentAt = now();
  const header = await dateHeader(url, timeoutMs);
  const receivedAt = now();
  const reference = header === undefined ? Number.NaN : Date.parse(header);
  if (!Number.isFinite(reference)) throw Object.assign(new Error(`${url} sent no usable Date header`), { code: 'IOC_ERR_CLOCK_REFERENCE' });
  // The header truncates to the second: the server's time lay in [reference, reference + 1000).
  return Math.round((sentAt + receivedAt) / 2 - (reference + 500));
}

/**
 * The `Date` header of a HEAD request. node:http rather than fetch(): fetch loads undici (megabytes of heap on a
 * gateway) and needs WebAssembly, which the low-memory launcher (`ioc-edge`, `--lite-mode`) turns off.
 */
function dateHeader(url: string, timeoutMs: number): Promise<string | undefined> {
  const get = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = get(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.headers.date);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`${url}: no answer within ${timeoutMs} ms`), { code: 'IOC_ERR_CLOCK_REFERENCE' })));
    req.once('error', reject);
    req.end();
  });
}

export interface ClockWatchOptions {
  referenceUrl: string;
  maxSkewMs: number;
  intervalMs: number;
  log: Logger;
  now?: () => number;
  /** Called when the reported skew changes (appears, disappears, or moves by more than maxSkewMs). */
  onChange(): void;
}

/** Measures the skew at start and every intervalMs; `reported()` is what the birth message carries. */
export class ClockWatch {
  #skewMs: number | undefined;
  #reported: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(private readonly opts: ClockWatchOptions) {}

  /** The last measured skew, ms (undefined before the first measurement or when the reference is unreachable). */
  get skewMs(): number | undefined {
    return this.#skewMs;
  }

  /** The skew when beyond maxSkewMs (then the birth message carries it as clockSkewMs), else undefined. */
  reported(): number | undefined {
    return this.#reported;
  }

  start(): void {
    this.#checking = this.check();
    this.#timer = setInterval(() => {
      this.#checking = this.check();
    }, this.opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking;
  }

  /** One measurement; never throws (an unreachable reference keeps the previous value and is logged). */
  async check(): Promise<void> {
    try {
      this.#skewMs = await measureClockSkew(this.opts.referenceUrl, this.opts.now);
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message, url: this.opts.referenceUrl }, 'clock reference unreachable');
      return;
    }
    const beyond = Math.abs(this.#skewMs) > this.opts.maxSkewMs ? this.#skewMs : undefined;
    const before = this.#reported;
    const changed = (before === undefined) !== (beyond === undefined) || (before !== undefined && beyond !== undefined && Math.abs(before - beyond) > this.opts.maxSkewMs);
    if (!changed) return;
    this.#reported = beyond;
    if (beyond !== undefined) this.opts.log.warn({ clockSkewMs: beyond, maxSkewMs: this.opts.maxSkewMs }, 'gateway clock is off; readings carry its time');
    this.opts.onChange();
  }
}
