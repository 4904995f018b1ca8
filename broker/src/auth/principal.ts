/**
 * Who is on the other end of an MQTT connection, once authenticated.
 * - gateway: a field gateway, confined to its own topics under ioc/v1/{site}/{gateway}/.
 * - service: a cloud-side account; `ingest` reads all gateways' uplink and writes their config/cmd,
 *   `observer` (e.g. a Node-RED flow) may only read.
 */
export type Principal =
  | { kind: 'gateway'; site: string; gateway: string }
  | { kind: 'service'; name: string; role: 'ingest' | 'observer' };

/** Outcome of checking a username/password pair. `reason` feeds the refusal counters and logs, never the client. */
export type CredentialCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'unknown' | 'bad_secret' | 'revoked' };

/**
 * The broker's only view of the registry. Implementations must compare secrets in constant time and
 * store only slow hashes; the broker never sees a stored hash.
 */
export interface CredentialVerifier {
  verify(username: string, password: Buffer): Promise<CredentialCheck>;
}
