import { connectGateway, type GatewayClient } from '../load/gateway-client.js';
import type { WireReading } from '../load/telemetry-json.js';
import { reportedValues } from './reported.js';
import type { Scenario, ScenarioSensor } from './scenario.js';
import { compileSchedule, type Schedule } from './schedule.js';
import { createValueModel, type ValueModel } from './values.js';

/** A window of history: readings every `intervalMs` on the grid of multiples of it, `fromMs` ≤ ts < `toMs`. */
export interface BackfillWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
}

/** Faults that leave a hole in the history: the sensor sent nothing then. */
const SILENCING = new Set(['dropout', 'unplugged']);

/**
 * The scenario replayed over a window of the past, as the edge would have reported it: the run's origin is the
 * window's start (so `after:` offsets land inside it), values follow the profiles, episodes and stuck/spike faults;
 * dropouts and unplugged sensors leave gaps; cameras report `camera_online` 0 while down. Network losses leave no
 * trace (the agent would have replayed its outbox); spoiled frames neither (dropped at the edge, one reading among
 * many in an interval).
 */
export class ScenarioHistory {
  readonly schedule: Schedule;
  readonly values: ValueModel;

  constructor(
    readonly scenario: Scenario,
    readonly window: BackfillWindow,
  ) {
    if (!(window.intervalMs >= 1000)) throw new RangeError('intervalMs must be at least 1000');
    if (!(window.toMs > window.fromMs)) throw new RangeError('toMs must be after fromMs');
    this.schedule = compileSchedule(scenario, window.fromMs);
    this.values = createValueModel(scenario, this.schedule);
  }

  /** Instants of the window, oldest first. */
  *instants(): Generator<number> {
    const { fromMs, toMs, intervalMs } = this.window;
    for (let t = Math.ceil(fromMs / intervalMs) * intervalMs; t < toMs; t += intervalMs) yield t;
  }

  /** Readings of one sensor at `t` (none while it is silenced). */
  readingsAt(s: ScenarioSensor, t: number): WireReading[] {
    const faults = this.schedule.activeFaults(t).filter((a) => a.fault.target === s.key).map((a) => a.fault.spec.kind);
    if (faults.some((k) => SILENCING.has(k))) return [];
    const values = this.values.has(s.key) ? this.values.valuesAt(s.key, t) : undefined;
    const reported = reportedValues(s, values, faults.includes('camera-down'));
    return Object.entries(reported).map(([metric, value]) => ({ sensor: s.sensor.id, metric, ts: t, value }));
  }

  /** A gateway's readings in batches of at most `maxReadings`, oldest first. */
  *batches(gateway: string, maxReadings: number): Generator<WireReading[]> {
    const sensors = this.scenario.sensors.filter((s) => s.gateway.id === gateway);
    let batch: WireReading[] = [];
    for (const t of this.instants()) {
      for (const s of sensors) {
        for (const r of this.readingsAt(s, t)) {
          batch.push(r);
          if (batch.length === maxReadings) {
            yield batch;
            batch = [];
          }
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Readings the window holds for a gateway. */
  count(gateway: string): number {
    let n = 0;
    for (const batch of this.batches(gateway, 5000)) n += batch.length;
    return n;
  }
}

export interface BackfillOptions {
  /** Broker URL. */
  url: string;
  /** Each gateway's MQTT password (its username and client id are its id). Every gateway of the scenario needs one. */
  passwords: Readonly<Record<string, string>>;
  window: BackfillWindow;
  /** Readings per message. Default 500. */
  batchReadings?: number;
  /** Messages a gateway may have awaiting their PUBACK. Default 8. */
  inFlight?: number;
  /** After every acknowledged message: readings done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface BackfillSummary {
  readonly gateways: number;
  readonly messages: number;
  readonly readings: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly elapsedMs: number;
}

/**
 * Publishes a scenario's history straight over MQTT, QoS 1, every message marked `historical: true` and every
 * reading stamped with its original time; one connection per gateway with the gateway's own credentials.
 */
export async function publishBackfill(scenario: Scenario, opts: BackfillOptions): Promise<BackfillSummary> {
  const history = new ScenarioHistory(scenario, opts.window);
  const gateways = scenario.spec.sites.flatMap((site) => site.gateways.map((g) => ({ site: site.id, gateway: g.id })));
  for (const g of gateways) if (!opts.passwords[g.gateway]) throw new RangeError(`no password for gateway ${g.gateway}`);
  const total = gateways.reduce((n, g) => n + history.count(g.gateway), 0);
  const started = performance.now();
  const counts = { messages: 0, readings: 0 };
  const clients: GatewayClient[] = [];
  try {
    for (const g of gateways) clients.push(await connectGateway(opts.url, { ...g, password: opts.passwords[g.gateway] ?? '' }));
    await Promise.all(
      clients.map(async (client) => {
        const window = new Set<Promise<void>>();
        for (const batch of history.batches(client.gateway, opts.batchReadings ?? 500)) {
          const p = client.publish(batch, { qos: 1, historical: true }).then(() => {
            counts.messages += 1;
            counts.readings += batch.length;
            opts.onProgress?.(counts.readings, total);
          });
          window.add(p);
          void p.finally(() => window.delete(p)).catch(() => undefined);
          if (window.size >= (opts.inFlight ?? 8)) await Promise.race(window);
        }
        await Promise.all(window);
      }),
    );
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
  return { gateways: gateways.length, ...counts, fromMs: opts.window.fromMs, toMs: opts.window.toMs, elapsedMs: performance.now() - started };
}
