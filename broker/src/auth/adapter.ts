import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { canPublish, canSubscribe } from './acl.js';
import type { CredentialVerifier, Principal } from './principal.js';

/** Why a CONNECT, PUBLISH or SUBSCRIBE was refused; the keys of the refusal counters. */
export type RefusalReason =
  | 'anonymous'
  | 'unknown'
  | 'bad_secret'
  | 'revoked'
  | 'client_id_mismatch'
  | 'auth_error'
  | 'publish_denied'
  | 'subscribe_denied';

export interface AuthEvents {
  refused(reason: RefusalReason, clientId: string | undefined, detail?: string): void;
  admitted(principal: Principal, clientId: string): void;
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2-3]
const IDENTIFIER_REJECTED = 2 as AuthenticateError['returnCode'];
const SERVER_UNAVAILABLE = 3 as AuthenticateError['returnCode'];
const BAD_USERNAME_OR_PASSWORD = 4 as AuthenticateError['returnCode'];
const NOT_AUTHORIZED = 5 as AuthenticateError['returnCode'];

function authError(returnCode: AuthenticateError['returnCode'], message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

/**
 * Wires three small async decisions into aedes' callback hooks. Deny by default: a client without a
 * principal (which aedes should never let through) can neither publish nor subscribe.
 */
export function authHooks(
  verifier: CredentialVerifier,
  events: AuthEvents,
): Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>> & {
  principalOf(client: Client): Principal | undefined;
} {
  const principals = new WeakMap<Client, Principal>();

  async function authenticate(client: Client, username?: string, password?: Buffer): Promise<void> {
    if (username === undefined || password === undefined) {
      events.refused('anonymous', client.id);
      throw authError(NOT_AUTHORIZED, 'anonymous connections are refused');
    }
    const check = await verifier.verify(username, password);
    if (!check.ok) {
      events.refused(check.reason, client.id);
      throw authError(BAD_USERNAME_OR_PASSWORD, 'bad username or password');
    }
    // The client id must be the account's own id, so one gateway cannot take over another's session.
    if (client.id !== username) {
      events.refused('client_id_mismatch', client.id, `username ${username}`);
      throw authError(IDENTIFIER_REJECTED, 'client id must equal the username');
    }
    principals.set(client, check.principal);
    events.admitted(check.principal, client.id);
  }

  return {
    principalOf: (client) => principals.get(client),
    authenticate(client, username, password, done) {
      authenticate(client, username, password).then(
        () => done(null, true),
        (err: unknown) => {
          if (err instanceof Error && 'returnCode' in err) return done(err as AuthenticateError, false);
          events.refused('auth_error', client.id, String(err));
          done(authError(SERVER_UNAVAILABLE, 'server unavailable'), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (client === null) return done(null); // the broker's own messages ($SYS, internal)
      const p = principals.get(client);
      if (p && canPublish(p, packet.topic, packet.retain)) return done(null);
      events.refused('publish_denied', client.id, packet.topic);
      done(new Error(`publish to ${packet.topic} denied`));
    },
    authorizeSubscribe(client, sub, done) {
      const p = principals.get(client);
      if (p && canSubscribe(p, sub.topic)) return done(null, sub);
      events.refused('subscribe_denied', client.id, sub.topic);
      // A null subscription makes aedes answer SUBACK 0x80 (failure) instead of closing the connection.
      done(null, null);
    },
  };
}
