import { DISCONNECT_REASONS, REFUSAL_REASONS, zeroCounts, type DisconnectReason, type RefusalReason } from '../refusals.js';
import { exposition, type MetricFamily } from './exposition.js';
import { RateWindow } from './rates.js';

/** Gauges read at scrape time from the live broker. */
export interface LiveGauges {
  connections: number;
  inflight: number;
  outstanding: number;
  queued: number;
  sessionsFull: number;
  retained: number;
}

const QOS = ['0', '1', '2'] as const;

/**
 * The broker's counters, plain fields bumped on the hot path (no labels to look up), rendered as
 * Prometheus families on demand.
 */
export class BrokerMetrics {
  readonly refusals: Record<RefusalReason, number> = zeroCounts(REFUSAL_REASONS);
  readonly disconnects: Record<DisconnectReason, number> = zeroCounts(DISCONNECT_REASONS);
  /** PUBLISHes accepted from clients and routed, by QoS. */
  readonly messagesIn = [0, 0, 0];
  /** Messages written to subscribers, by QoS (live deliveries and retained messages). */
  readonly messagesOut = [0, 0, 0];
  /** Connections admitted (CONNACK 0). */
  admitted = 0;
  /** PUBLISHes held back by the rate limit and then accepted. */
  throttled = 0;
  readonly #rates = new RateWindow(10);

  /** Called once a second: feeds the per-second rate gauges. */
  sample(nowMs: number): void {
    this.#rates.sample(nowMs, [...this.messagesIn, ...this.messagesOut]);
  }

  render(live: LiveGauges): string {
    const rates = this.#rates.rates();
    const byQos = (values: readonly number[], offset = 0): MetricFamily['samples'] =>
      QOS.map((qos, i) => ({ labels: { qos }, value: values[i + offset] ?? 0 }));
    const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
    const families: MetricFamily[] = [
      gauge('ioc_broker_connections', 'MQTT clients connected now (admitted, not yet closed).', live.connections),
      { name: 'ioc_broker_connections_admitted_total', help: 'Connections admitted with CONNACK 0.', type: 'counter', samples: [{ value: this.admitted }] },
      { name: 'ioc_broker_messages_in_total', help: 'PUBLISH packets accepted from clients, by QoS.', type: 'counter', samples: byQos(this.messagesIn) },
      { name: 'ioc_broker_messages_out_total', help: 'Messages written to subscribers, by QoS.', type: 'counter', samples: byQos(this.messagesOut) },
      { name: 'ioc_broker_messages_in_per_second', help: 'PUBLISH packets accepted per second, averaged over the last 10 s, by QoS.', type: 'gauge', samples: byQos(rates, 0) },
      { name: 'ioc_broker_messages_out_per_second', help: 'Messages written per second, averaged over the last 10 s, by QoS.', type: 'gauge', samples: byQos(rates, 3) },
      {
        name: 'ioc_broker_refusals_total',
        help: 'CONNECT, PUBLISH and SUBSCRIBE refused, and connections closed by a limit, by reason.',
        type: 'counter',
        samples: REFUSAL_REASONS.map((reason) => ({ labels: { reason }, value: this.refusals[reason] })),
      },
      {
        name: 'ioc_broker_disconnects_total',
        help: 'Admitted connections the broker closed itself, by reason.',
        type: 'counter',
        samples: DISCONNECT_REASONS.map((reason) => ({ labels: { reason }, value: this.disconnects[reason] })),
      },
      { name: 'ioc_broker_throttled_total', help: 'PUBLISH packets held back by the per-client rate limit, then accepted.', type: 'counter', samples: [{ value: this.throttled }] },
      gauge('ioc_broker_inflight_messages', 'QoS 1/2 PUBLISH packets received and not yet routed.', live.inflight),
      gauge('ioc_broker_unacknowledged_messages', 'QoS 1/2 messages written to clients and not yet acknowledged.', live.outstanding),
      gauge('ioc_broker_queued_messages', 'Messages held in persistent sessions (offline or awaiting PUBACK).', live.queued),
      gauge('ioc_broker_sessions_full', 'Persistent sessions at their queue limit (PUBLISHes for them are refused).', live.sessionsFull),
      gauge('ioc_broker_retained_messages', 'Retained messages stored.', live.retained),
      gauge('process_resident_memory_bytes', 'Resident set size of the broker process, bytes.', process.memoryUsage.rss()),
    ];
    return exposition(families);
  }
}
