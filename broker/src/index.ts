export { startBroker, type BrokerStats, type RunningBroker } from './broker.js';
export { DEFAULT_LIMITS, type BrokerLimits, type BrokerOptions, type TlsListenerOptions } from './options.js';
export type { Principal, CredentialCheck, CredentialVerifier } from './auth/principal.js';
export { canPublish, canSubscribe } from './auth/acl.js';
export { REFUSAL_REASONS, DISCONNECT_REASONS, type RefusalReason, type DisconnectReason } from './refusals.js';
export { BrokerErrorCode, type BrokerError } from './errors.js';
