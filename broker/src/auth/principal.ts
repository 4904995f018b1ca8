/**
 * Who is on the other end of an MQTT connection, once authenticated.
 * - gateway: a field gateway, confined to its own topics under ioc/v1/{site}/{gateway}/.
 * - service: a cloud-side account; `ingest` reads all gateways' uplink and writes their config/cmd,
 *   `observer` (e.g. a Node-RED flow) may only read.
 */
export type Principal =
  | { kind: 'gateway'; site: string; gateway: string }
  | { kind: 'service'; name: string; role: 'ingest' | 'observer' };

/** Outcome of checking an account. `reason` feeds the refusal counters and logs, never the client. */
export type CredentialCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'unknown' | 'bad_secret' | 'revoked' };

/**
 * The broker's only view of the registry (wired in the CLI, the composition root). Implementations
 * must compare secrets in constant time and store only slow hashes; the broker never sees a stored hash.
 * Usernames reaching these methods already match the id rule (`@ioc/protocol` isValidId).
 */
export interface CredentialVerifier {
  /** Checks a username/password pair at CONNECT. */
  verify(username: string, password: Buffer): Promise<CredentialCheck>;
  /**
   * Optional: is the account revoked (or deleted) now? The broker asks for every connected account
   * every `revocationCheckMs` and disconnects those for which it resolves true. Without it, a revoked
   * account stays connected until it reconnects.
   */
  isRevoked?(username: string): Promise<boolean>;
  /**
   * Optional: the principal of an account whose identity was proven otherwise (a client certificate
   * signed by the broker's CA, when `tls.certAuth` is on). No secret is checked; `bad_secret` is never
   * returned. Without it, certificate authentication refuses every client with `auth_error`.
   */
  lookup?(username: string): Promise<CredentialCheck>;
}
