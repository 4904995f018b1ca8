import { isValidId } from '@ioc/protocol';
import type { RefusalReason } from '../refusals.js';
import type { CredentialCheck, CredentialVerifier, Principal } from './principal.js';

/** What the broker knows of a connection when its CONNECT arrives. */
export interface ConnectAttempt {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** Seconds, from CONNECT; 0 means the client asked for no keep-alive. */
  keepaliveSec: number;
  /** The client certificate of a TLS connection, if one was presented. */
  cert: { verified: boolean; cn: string | undefined } | undefined;
}

export interface AuthPolicy {
  verifier: CredentialVerifier;
  keepaliveMinSec: number;
  keepaliveMaxSec: number;
  /** A verified client certificate authenticates its CN (TlsListenerOptions.certAuth). */
  certAuth: boolean;
  /** True once the broker is shutting down. */
  closing(): boolean;
}

/** MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2-3]. */
export const CONNACK = { IDENTIFIER_REJECTED: 2, SERVER_UNAVAILABLE: 3, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const;
type ReturnCode = (typeof CONNACK)[keyof typeof CONNACK];

export type AuthDecision =
  | { ok: true; principal: Principal; username: string; viaCert: boolean }
  | { ok: false; reason: RefusalReason; returnCode: ReturnCode; detail?: string };

const refuse = (reason: RefusalReason, returnCode: ReturnCode, detail?: string): AuthDecision => ({ ok: false, reason, returnCode, ...(detail ? { detail } : {}) });

/** Mosquitto's rule for MQTT 3.1.1, which cannot tell a client another keep-alive: refuse with 2. */
function keepaliveRefusal(a: ConnectAttempt, p: AuthPolicy): AuthDecision | undefined {
  const k = a.keepaliveSec;
  if (k === 0 || k < p.keepaliveMinSec || k > p.keepaliveMaxSec) {
    return refuse('keepalive_out_of_bounds', CONNACK.IDENTIFIER_REJECTED, `keepalive ${k}s outside ${p.keepaliveMinSec}…${p.keepaliveMaxSec}s`);
  }
  return undefined;
}

/** The account a connection claims and the registry's answer for it, or a refusal. */
async function checkAccount(a: ConnectAttempt, p: AuthPolicy): Promise<{ username: string; check: CredentialCheck; viaCert: boolean } | AuthDecision> {
  if (a.cert && !a.cert.verified) return refuse('bad_certificate', CONNACK.NOT_AUTHORIZED, 'client certificate not signed by the CA');
  if (a.cert && p.certAuth) {
    const cn = a.cert.cn;
    if (!isValidId(cn)) return refuse('bad_certificate', CONNACK.NOT_AUTHORIZED, 'certificate CN is not a valid account id');
    if (a.username !== undefined && a.username !== cn) return refuse('cert_mismatch', CONNACK.NOT_AUTHORIZED, `username ${a.username} but certificate CN ${cn}`);
    if (!p.verifier.lookup) return refuse('auth_error', CONNACK.SERVER_UNAVAILABLE, 'certificate authentication without a lookup');
    return { username: cn, check: await p.verifier.lookup(cn), viaCert: true };
  }
  if (a.username === undefined || a.password === undefined) return refuse('anonymous', CONNACK.NOT_AUTHORIZED);
  // Ids are the topic levels of the ACL: one with '+', '#', '/' or '..' never reaches the registry.
  const claimed: string = a.username;
  if (!isValidId(claimed)) return refuse('invalid_id', CONNACK.BAD_USERNAME_OR_PASSWORD, `username ${JSON.stringify(a.username.slice(0, 70))}`);
  return { username: a.username, check: await p.verifier.verify(a.username, a.password), viaCert: false };
}

/**
 * Decides a CONNECT. Deny by default: only a known, unrevoked account whose client id is its own
 * username gets in. A verifier that throws yields `auth_error` (CONNACK 3), never an admission.
 */
export async function decideConnect(a: ConnectAttempt, p: AuthPolicy): Promise<AuthDecision> {
  if (p.closing()) return refuse('shutting_down', CONNACK.SERVER_UNAVAILABLE);
  const keepalive = keepaliveRefusal(a, p);
  if (keepalive) return keepalive;
  let account;
  try {
    account = await checkAccount(a, p);
  } catch (err) {
    return refuse('auth_error', CONNACK.SERVER_UNAVAILABLE, err instanceof Error ? err.message : String(err));
  }
  if ('ok' in account) return account;
  const { username, check, viaCert } = account;
  if (!check.ok) {
    // A revoked account holding its right secret learns it is revoked; others learn nothing.
    return refuse(check.reason, check.reason === 'revoked' ? CONNACK.NOT_AUTHORIZED : CONNACK.BAD_USERNAME_OR_PASSWORD);
  }
  // The client id is the account's own id, so no one can take over another's session [MQTT-3.1.3-2].
  if (a.clientId !== username) {
    return refuse('client_id_mismatch', CONNACK.IDENTIFIER_REJECTED, `client id ${JSON.stringify(a.clientId.slice(0, 70))} for ${username}`);
  }
  return { ok: true, principal: check.principal, username, viaCert };
}
