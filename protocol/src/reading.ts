/** Quality of one measurement, carried from the device (OPC-UA StatusCode, plausibility checks) to the store. */
export type Quality = 'good' | 'uncertain' | 'bad';

/** One measurement of one metric by one sensor, at the time it was measured. */
export interface Reading {
  /** Sensor id, unique within its gateway; matches ID_PATTERN. */
  sensor: string;
  /** Metric name from the metric catalogue (e.g. `pm25`). */
  metric: string;
  /** Time of measurement, epoch milliseconds UTC (never the arrival time). */
  ts: number;
  /** Value in the metric's canonical unit. */
  value: number;
  /** good | uncertain | bad; absent on the wire means good. */
  quality: Quality;
}
