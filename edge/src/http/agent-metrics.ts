import type { AgentStats } from '../agent.js';
import { metricName, type Family, type Sample } from './metrics.js';

const counter = (name: string, help: string, value: number): Family => ({ name, help, type: 'counter', samples: [{ value }] });
const gauge = (name: string, help: string, value: number): Family => ({ name, help, type: 'gauge', samples: [{ value }] });

/**
 * Each driver's stats() keys as one family per key (`framesOk` → ioc_edge_input_frames_ok{input, driver}). Their
 * kind is the driver's business (a counter or a gauge such as `connected`), hence `untyped`.
 */
function inputFamilies(inputs: AgentStats['inputs']): Family[] {
  const families = new Map<string, Family>();
  for (const [input, { driver, stats }] of Object.entries(inputs)) {
    for (const [key, value] of Object.entries(stats)) {
      const name = `ioc_edge_input_${metricName(key)}`;
      const family = families.get(name) ?? { name, help: `Driver statistic "${key}" (see the driver's README).`, type: 'untyped' as const, samples: [] };
      family.samples.push({ labels: { input, driver }, value });
      families.set(name, family);
    }
  }
  return [...families.values()];
}

function frameErrorSamples(inputs: AgentStats['inputs']): Sample[] {
  return Object.entries(inputs).flatMap(([input, { driver, frameErrors }]) =>
    Object.entries(frameErrors).map(([code, value]) => ({ labels: { input, driver, code }, value })),
  );
}

/** Everything /metrics shows. Rates come from the counters: `rate(ioc_edge_readings_total[1m])` is readings/s. */
export function agentFamilies(s: AgentStats, rssBytes: number): Family[] {
  return [
    counter('ioc_edge_readings_total', 'Readings accepted into the outbox (after calibration and the plausibility check).', s.readings),
    counter('ioc_edge_readings_implausible_total', 'Readings outside their metric\'s plausible range, kept with quality "bad".', s.implausible),
    counter('ioc_edge_readings_invalid_total', 'Readings refused before the outbox because they break the wire contract (a driver bug).', s.invalid),
    counter('ioc_edge_outbox_errors_total', 'Readings lost because the outbox could not store them (disk full or failing).', s.outboxErrors),
    gauge('ioc_edge_outbox_pending_readings', 'Readings in the outbox waiting for a PUBACK.', s.outbox.pending),
    gauge('ioc_edge_outbox_bytes', 'Accounted bytes of the pending readings (what outbox.maxBytes bounds).', s.outbox.bytes),
    counter('ioc_edge_outbox_dropped_total', 'Readings dropped because the outbox was full (since install for the disk outbox).', s.outbox.dropped),
    gauge('ioc_edge_outbox_durable', '1 when the outbox is on disk, 0 when in memory.', s.durable ? 1 : 0),
    gauge('ioc_edge_mqtt_connected', '1 while the MQTT session is up.', s.uplink.connected ? 1 : 0),
    counter('ioc_edge_mqtt_connect_attempts_total', 'MQTT connection attempts.', s.uplink.connectAttempts),
    counter('ioc_edge_mqtt_disconnects_total', 'Failed connection attempts and lost sessions.', s.uplink.disconnects),
    counter('ioc_edge_mqtt_messages_sent_total', 'Telemetry messages acknowledged by the broker.', s.uplink.messagesSent),
    counter('ioc_edge_mqtt_readings_sent_total', 'Readings acknowledged by the broker.', s.uplink.readingsSent),
    counter('ioc_edge_mqtt_historical_readings_sent_total', 'Readings replayed from the backlog (historical: true).', s.uplink.historicalReadingsSent),
    counter('ioc_edge_mqtt_refused_readings_total', 'Readings the wire contract refused at encoding, removed and logged.', s.uplink.refusedReadings),
    gauge('ioc_edge_mqtt_last_seq', 'seq of the last acknowledged telemetry message.', s.uplink.lastSeq),
    counter('ioc_edge_config_applied_total', 'Remote configs applied.', s.config.applied),
    counter('ioc_edge_config_refused_total', 'Remote configs refused or rolled back.', s.config.refused),
    { name: 'ioc_edge_frame_errors_total', help: 'Frame-level errors reported by drivers, by code.', type: 'counter', samples: frameErrorSamples(s.inputs) },
    ...inputFamilies(s.inputs),
    ...(s.clockSkewMs !== undefined ? [gauge('ioc_edge_clock_skew_ms', 'Gateway clock minus the reference clock, ms.', s.clockSkewMs)] : []),
    gauge('process_resident_memory_bytes', 'Resident memory of the agent process, bytes.', rssBytes),
  ];
}
