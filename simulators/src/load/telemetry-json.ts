// The telemetry payload of the wire contract (docs/protocol.md, "TelemetryBatch"), written from the prose on purpose
// apart from @ioc/protocol's encoder: a load generator or a backfill is a third-party sender, and the cloud's
// decoder must accept it as it would any integrator's gateway.

/** One reading: `ts` epoch ms UTC (time of measurement), `value` in the metric's catalogue unit. */
export interface WireReading {
  readonly sensor: string;
  readonly metric: string;
  readonly ts: number;
  readonly value: number;
  readonly quality?: 'good' | 'uncertain' | 'bad';
}

/** `ioc/v1/{site}/{gateway}/telemetry` */
export function telemetryTopic(site: string, gateway: string): string {
  return `ioc/v1/${site}/${gateway}/telemetry`;
}

/** Compact JSON of a batch: no `quality` when good, `historical` only when true. At most 5000 readings. */
export function encodeTelemetryJson(seq: number, readings: readonly WireReading[], historical = false): Buffer {
  if (readings.length < 1 || readings.length > 5000) throw new RangeError('a telemetry batch carries 1 … 5000 readings');
  const body = {
    seq,
    ...(historical ? { historical: true } : {}),
    readings: readings.map((r) => ({
      sensor: r.sensor,
      metric: r.metric,
      ts: r.ts,
      value: r.value,
      ...(r.quality && r.quality !== 'good' ? { quality: r.quality } : {}),
    })),
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}
