export type {
  AggregateEvery,
  AggregateFn,
  AggregatePoint,
  AggregateQuery,
  LatestQuery,
  StoredReading,
  StorePing,
  TelemetryPoint,
  TelemetryQuery,
  TelemetryStore,
} from './telemetry-store.js';
export { isStoreError, StoreErrorCode, type RejectedReading, type StoreError } from './errors.js';
export {
  createInfluxStore,
  DEFAULT_DATABASE,
  DEFAULT_RETENTION_POLICY,
  type InfluxStoreOptions,
  type RetentionPolicyOptions,
} from './influx/influx-store.js';
export type { RollupLevelOptions, RollupOptions } from './influx/rollups.js';
