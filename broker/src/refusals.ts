/**
 * Why the broker refused something, the label values of `ioc_broker_refusals_total{reason}`.
 * Every refusal is counted under exactly one reason and logged (rate-limited), never dropped silently.
 */
export const REFUSAL_REASONS = [
  // CONNECT (answered with a CONNACK return code, then the connection is closed)
  'anonymous',
  'invalid_id',
  'unknown',
  'bad_secret',
  'revoked',
  'client_id_mismatch',
  'bad_certificate',
  'cert_mismatch',
  'keepalive_out_of_bounds',
  'auth_error',
  'shutting_down',
  'unsupported_protocol',
  // transport (the connection is closed without a CONNACK)
  'connect_rate',
  'connect_timeout',
  'tls_handshake',
  'packet_too_large',
  'malformed',
  // PUBLISH (MQTT 3.1.1 has no negative PUBACK: the connection is closed, the publisher keeps the message)
  'publish_denied',
  'rate_limited',
  'inflight_exceeded',
  'queue_full',
  // SUBSCRIBE (answered with SUBACK 0x80, the connection stays)
  'subscribe_denied',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Why the broker closed an admitted connection itself: `ioc_broker_disconnects_total{reason}`. */
export const DISCONNECT_REASONS = ['revoked', 'takeover', 'keepalive_timeout', 'shutdown'] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/** A zeroed counter per reason. */
export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
