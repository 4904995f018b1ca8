export { startBroker, type BrokerOptions, type BrokerStats, type RunningBroker } from './broker.js';
export type { Principal, CredentialCheck, CredentialVerifier } from './auth/principal.js';
export { canPublish, canSubscribe } from './auth/acl.js';
export type { RefusalReason } from './auth/adapter.js';
