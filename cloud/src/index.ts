export { startCloud, type CloudOptions, type RunningCloud } from './service.js';
export { buildApi, type ApiDeps } from './api/app.js';
export { Registry, type MqttCredentialCheck } from './registry/registry.js';
export type * from './registry/types.js';
export { importStations, planImport, STATION_COLUMNS, KNOWN_DRIVERS, type ImportReport, type ImportIssue, type NewGateway } from './registry/import/stations.js';
export { startIngest, type Ingest, type IngestStats, type Rejection } from './ingest/ingest.js';
export { CloudError, CloudErrorCode } from './errors.js';
export * from './store/index.js';
export * from './influx/index.js';
