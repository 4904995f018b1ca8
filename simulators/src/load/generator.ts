import { codedError } from '../util/errors.js';
import { uniformAt } from '../scenario/noise.js';
import { assertLoopback, connectGateway, LOAD_ERRORS, type GatewayClient, type GatewayCredentials } from './gateway-client.js';
import { LatencyHistogram } from './latency.js';
import type { WireReading } from './telemetry-json.js';

/** Bounds of one load run: a load generator must never become a denial of service by a typo. */
export const LOAD_LIMITS = {
  gateways: 1000,
  sensors: 1000,
  /** Messages per second, all gateways together. */
  rate: 100_000,
  /** Messages per second of one gateway: each message gets its own millisecond (see runLoad). */
  ratePerGateway: 1000,
  durationMs: 3_600_000,
} as const;

export interface LoadOptions {
  /** Broker URL; loopback only. */
  url: string;
  /** One entry per simulated gateway, with its real credentials. */
  gateways: readonly GatewayCredentials[];
  /** Readings per message: one per sensor (`s-0001` …), metric pm25. */
  sensors: number;
  /** Telemetry messages per second, all gateways together. */
  rate: number;
  durationMs: number;
  qos: 0 | 1;
  /** Publishes one gateway may have waiting for their PUBACK; beyond it the generator falls behind. Default 64. */
  maxInFlightPerGateway?: number;
  /** How long to wait for the last PUBACKs after the duration; the rest count as errors. Default 10000 ms. */
  drainTimeoutMs?: number;
  /** Called about once a second while running, and once at the end. */
  onProgress?: (p: LoadProgress) => void;
}

/** Counters of a run so far (totals) and of the last interval. */
export interface LoadProgress {
  /** ms since publishing started. */
  readonly elapsedMs: number;
  /** Messages handed to the client / acknowledged (PUBACK, or written for QoS 0) / failed. */
  readonly sent: number;
  readonly acked: number;
  readonly errors: number;
  /** Readings in the acknowledged messages. */
  readonly readingsAcked: number;
  /** Acknowledged messages per second over the last interval. */
  readonly rate: number;
  /** Publish latency of the last interval, ms (NaN with no sample). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors and drops so far. */
  readonly connectionErrors: number;
}

export interface LoadSummary extends LoadProgress {
  readonly gateways: number;
  readonly sensors: number;
  readonly targetRate: number;
  /** Acknowledged messages per second over the whole run. */
  readonly achievedRate: number;
  /** Latency over the whole run, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const TICK_MS = 5;
const PROGRESS_MS = 1000;

/**
 * Many gateways publishing straight over MQTT with their own credentials, paced to `rate` messages per second for
 * `durationMs`. Each message carries one pm25 reading per sensor, stamped with the gateway's clock; a gateway's
 * messages never share a millisecond, so every reading is a distinct point (the store overwrites same-instant points,
 * which would make counts unreconcilable). Reports progress about once a second.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadSummary> {
  checkBounds(opts);
  const clients: GatewayClient[] = [];
  try {
    for (let i = 0; i < opts.gateways.length; i += 16) {
      clients.push(...(await Promise.all(opts.gateways.slice(i, i + 16).map((g) => connectGateway(opts.url, g)))));
    }
    return await drive(clients, opts);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

function checkBounds(opts: LoadOptions): void {
  assertLoopback(opts.url);
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw codedError(LOAD_ERRORS.bounds, what);
  };
  check(opts.gateways.length >= 1 && opts.gateways.length <= LOAD_LIMITS.gateways, `gateways must be 1 … ${LOAD_LIMITS.gateways}`);
  check(Number.isInteger(opts.sensors) && opts.sensors >= 1 && opts.sensors <= LOAD_LIMITS.sensors, `sensors must be an integer 1 … ${LOAD_LIMITS.sensors}`);
  check(opts.rate > 0 && opts.rate <= LOAD_LIMITS.rate, `rate must be > 0 and ≤ ${LOAD_LIMITS.rate} messages/s`);
  check(
    opts.rate / opts.gateways.length <= LOAD_LIMITS.ratePerGateway,
    `rate per gateway must be ≤ ${LOAD_LIMITS.ratePerGateway} messages/s (use more gateways)`,
  );
  check(opts.durationMs > 0 && opts.durationMs <= LOAD_LIMITS.durationMs, `duration must be > 0 and ≤ ${LOAD_LIMITS.durationMs / 1000} s`);
}

async function drive(clients: readonly GatewayClient[], opts: LoadOptions): Promise<LoadSummary> {
  const maxInFlight = opts.maxInFlightPerGateway ?? 64;
  const perGateway = opts.rate / clients.length;
  const sensors = Array.from({ length: opts.sensors }, (_, i) => `s-${String(i + 1).padStart(4, '0')}`);
  const lastTs = new Map<string, number>();
  const issued = clients.map(() => 0);
  const total = new LatencyHistogram();
  const interval = new LatencyHistogram();
  const counts = { sent: 0, acked: 0, errors: 0, readingsAcked: 0 };
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let abandoned = false;
  let lastReport = { at: started, acked: 0 };

  const publishOne = (client: GatewayClient): void => {
    const ts = Math.max(Date.now(), (lastTs.get(client.gateway) ?? 0) + 1);
    lastTs.set(client.gateway, ts);
    const readings: WireReading[] = sensors.map((sensor, i) => ({
      sensor,
      metric: 'pm25',
      ts,
      value: Math.round(100 * (10 + 60 * uniformAt(ts, i, counts.sent))) / 100,
    }));
    counts.sent += 1;
    const p = client.publish(readings, { qos: opts.qos }).then(
      (ms) => {
        if (abandoned) return;
        counts.acked += 1;
        counts.readingsAcked += readings.length;
        total.record(ms);
        interval.record(ms);
      },
      () => {
        if (!abandoned) counts.errors += 1;
      },
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const progress = (now: number): LoadProgress => ({
    elapsedMs: now - started,
    ...counts,
    rate: ((counts.acked - lastReport.acked) * 1000) / Math.max(1, now - lastReport.at),
    p50Ms: interval.percentile(0.5),
    p99Ms: interval.percentile(0.99),
    connectionErrors: clients.reduce((n, c) => n + c.connectionErrors, 0),
  });

  for (;;) {
    const now = performance.now();
    const elapsed = Math.min(now - started, opts.durationMs);
    const due = Math.floor((elapsed / 1000) * perGateway);
    clients.forEach((client, i) => {
      while ((issued[i] ?? 0) < due && client.inFlight < maxInFlight) {
        issued[i] = (issued[i] ?? 0) + 1;
        publishOne(client);
      }
    });
    if (now - lastReport.at >= PROGRESS_MS) {
      opts.onProgress?.(progress(now));
      lastReport = { at: now, acked: counts.acked };
      interval.reset();
    }
    if (now - started >= opts.durationMs) break;
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await drain(pending, opts.drainTimeoutMs ?? 10_000);
  if (pending.size > 0) {
    abandoned = true;
    counts.errors += pending.size;
  }
  const end = performance.now();
  const last = progress(end);
  opts.onProgress?.(last);
  return {
    ...last,
    gateways: clients.length,
    sensors: opts.sensors,
    targetRate: opts.rate,
    achievedRate: (counts.acked * 1000) / (end - started),
    p50Ms: total.percentile(0.5),
    p99Ms: total.percentile(0.99),
    maxMs: total.max,
  };
}

/** Waits for `pending` to empty, at most `timeoutMs`. */
async function drain(pending: ReadonlySet<Promise<void>>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(pending), timeout]);
  clearTimeout(timer);
}
