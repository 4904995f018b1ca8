export { startCloud, type CloudOptions, type RunningCloud } from './service.js';
export { buildApi, type ApiDeps } from './api/app.js';
export { Registry, type Gateway, type Site, type MqttCredentialCheck } from './registry/registry.js';
export { startIngest, type Ingest, type IngestStats, type Rejection } from './ingest/ingest.js';
export { CloudError, CloudErrorCode } from './errors.js';
export * from './store/index.js';
export * from './influx/index.js';
