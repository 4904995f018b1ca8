import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from './acl.js';
import { decideConnect, type AuthPolicy, type ConnectAttempt } from './authenticate.js';
import type { CredentialVerifier, Principal } from './principal.js';

const gw: Principal = { kind: 'gateway', site: 'site-a', gateway: 'gw-01' };
const ingest: Principal = { kind: 'service', name: 'svc-ingest', role: 'ingest' };
const observer: Principal = { kind: 'service', name: 'red', role: 'observer' };

describe('canPublish', () => {
  it.each([
    [gw, 'ioc/v1/site-a/gw-01/telemetry', false, true],
    [gw, 'ioc/v1/site-a/gw-01/state', true, true],
    [gw, 'ioc/v1/site-a/gw-01/config/ack', false, true],
    [gw, 'ioc/v1/site-a/gw-01/telemetry', true, false], // retained telemetry would replay forever
    [gw, 'ioc/v1/site-a/gw-01/config', false, false],
    [gw, 'ioc/v1/site-a/gw-01/cmd/x', false, false],
    [gw, 'ioc/v1/site-a/gw-02/telemetry', false, false],
    [gw, 'ioc/v1/site-b/gw-01/telemetry', false, false],
    [gw, 'ioc/v1/+/gw-01/telemetry', false, false],
    [gw, 'ioc/v1/site-a/+/telemetry', false, false],
    [gw, 'ioc/v1/site-a/#', false, false],
    [gw, 'ioc/v1/site-a/gw-01/../gw-02/telemetry', false, false],
    [gw, 'ioc/v1/site-a/../site-a/gw-01/telemetry', false, false],
    [gw, 'ioc/v1/site-a/gw-01/telemetry/', false, false],
    [gw, '/ioc/v1/site-a/gw-01/telemetry', false, false],
    [gw, 'ioc/v1/SITE-A/gw-01/telemetry', false, false],
    [gw, '$SYS/x', false, false],
    [ingest, 'ioc/v1/site-a/gw-01/config', true, true],
    [ingest, 'ioc/v1/site-a/gw-01/cmd/reboot', false, true],
    [ingest, 'ioc/v1/site-a/gw-01/telemetry', false, false],
    [ingest, 'ioc/v1/site-a/gw-01/state', true, false],
    [observer, 'ioc/v1/site-a/gw-01/config', false, false],
    [observer, 'ioc/v1/alerts/x', false, false],
  ] as const)('%o → %s (retain %s): %s', (p, topic, retain, allowed) => {
    expect(canPublish(p, topic, retain)).toBe(allowed);
  });
});

describe('canSubscribe', () => {
  it.each([
    [gw, 'ioc/v1/site-a/gw-01/config', true],
    [gw, 'ioc/v1/site-a/gw-01/cmd/#', true],
    [gw, 'ioc/v1/site-a/gw-01/cmd/+', true],
    [gw, 'ioc/v1/site-a/gw-01/cmd/reboot', true],
    [gw, 'ioc/v1/site-a/gw-01/#', false],
    [gw, 'ioc/v1/site-a/gw-01/+', false],
    [gw, 'ioc/v1/site-a/+/config', false],
    [gw, 'ioc/v1/+/gw-01/config', false],
    [gw, 'ioc/v1/site-a/gw-02/config', false],
    [gw, 'ioc/v1/site-b/gw-01/config', false],
    [gw, 'ioc/v1/site-a/gw-01/telemetry', false],
    [gw, 'ioc/v1/site-a/gw-01/cmd/+/x', false],
    [gw, 'ioc/v1/site-a/gw-01/cmd/../../gw-02/cmd/#', false],
    [gw, '#', false],
    [gw, '+', false],
    [gw, '$SYS/#', false],
    [ingest, 'ioc/v1/+/+/telemetry', true],
    [ingest, 'ioc/v1/+/+/state', true],
    [ingest, 'ioc/v1/+/+/config/ack', true],
    [ingest, 'ioc/v1/#', false],
    [ingest, '#', false],
    [ingest, '$SYS/#', false],
    [observer, 'ioc/v1/+/+/state', true],
    [observer, 'ioc/v1/alerts/#', true],
    [observer, 'ioc/v1/+/+/telemetry', false],
  ] as const)('%o → %s: %s', (p, filter, allowed) => {
    expect(canSubscribe(p, filter)).toBe(allowed);
  });
});

const verifier: CredentialVerifier = {
  async verify(username, password) {
    if (username === 'boom') throw new Error('registry unavailable');
    if (username === 'gw-rev') return { ok: false, reason: 'revoked' };
    if (username !== 'gw-01') return { ok: false, reason: 'unknown' };
    return password.toString() === 's1' ? { ok: true, principal: gw } : { ok: false, reason: 'bad_secret' };
  },
  async lookup(username) {
    return username === 'gw-01' ? { ok: true, principal: gw } : { ok: false, reason: 'unknown' };
  },
};
const policy = (over: Partial<AuthPolicy> = {}): AuthPolicy => ({ verifier, keepaliveMinSec: 5, keepaliveMaxSec: 1200, certAuth: true, closing: () => false, ...over });
const attempt = (over: Partial<ConnectAttempt> = {}): ConnectAttempt => ({ clientId: 'gw-01', username: 'gw-01', password: Buffer.from('s1'), keepaliveSec: 30, cert: undefined, ...over });

describe('decideConnect', () => {
  it('admits the right account with its own client id', async () => {
    expect(await decideConnect(attempt(), policy())).toEqual({ ok: true, principal: gw, username: 'gw-01', viaCert: false });
    expect(await decideConnect(attempt({ username: undefined, password: undefined, cert: { verified: true, cn: 'gw-01' } }), policy())).toEqual({ ok: true, principal: gw, username: 'gw-01', viaCert: true });
  });

  it.each([
    ['shutting down', attempt(), policy({ closing: () => true }), 'shutting_down', 3],
    ['keep-alive 0', attempt({ keepaliveSec: 0 }), policy(), 'keepalive_out_of_bounds', 2],
    ['keep-alive too long', attempt({ keepaliveSec: 1201 }), policy(), 'keepalive_out_of_bounds', 2],
    ['no username', attempt({ username: undefined, password: undefined }), policy(), 'anonymous', 5],
    ['no password', attempt({ password: undefined }), policy(), 'anonymous', 5],
    ['a wildcard username', attempt({ username: 'gw-01/#' }), policy(), 'invalid_id', 4],
    ['a username with ..', attempt({ username: '..' }), policy(), 'invalid_id', 4],
    ['an uppercase username', attempt({ username: 'GW-01' }), policy(), 'invalid_id', 4],
    ['a wrong secret', attempt({ password: Buffer.from('x') }), policy(), 'bad_secret', 4],
    ['an unknown account', attempt({ username: 'gw-99', clientId: 'gw-99' }), policy(), 'unknown', 4],
    ['a revoked account', attempt({ username: 'gw-rev', clientId: 'gw-rev' }), policy(), 'revoked', 5],
    ['a verifier that throws', attempt({ username: 'boom', clientId: 'boom' }), policy(), 'auth_error', 3],
    ['another client id', attempt({ clientId: 'gw-02' }), policy(), 'client_id_mismatch', 2],
    ['an unverified certificate', attempt({ cert: { verified: false, cn: 'gw-01' } }), policy(), 'bad_certificate', 5],
    ['a certificate CN that is no id', attempt({ username: undefined, cert: { verified: true, cn: 'gw-01/#' } }), policy(), 'bad_certificate', 5],
    ['a certificate for another username', attempt({ username: 'gw-02', cert: { verified: true, cn: 'gw-01' } }), policy(), 'cert_mismatch', 5],
    ['certificate auth without lookup', attempt({ cert: { verified: true, cn: 'gw-01' } }), policy({ verifier: { verify: (u, p) => verifier.verify(u, p) } }), 'auth_error', 3],
  ] as const)('refuses %s', async (_name, a, p, reason, returnCode) => {
    const d = await decideConnect(a, p);
    expect(d.ok).toBe(false);
    expect(d.ok ? undefined : [d.reason, d.returnCode]).toEqual([reason, returnCode]);
  });

  it('treats a verified certificate as a door only when certAuth is off', async () => {
    const d = await decideConnect(attempt({ password: undefined, cert: { verified: true, cn: 'gw-01' } }), policy({ certAuth: false }));
    expect(d.ok ? 'admitted' : d.reason).toBe('anonymous');
  });
});

describe('alert topics', () => {
  const ingest = { kind: 'service', name: 'svc-config', role: 'ingest' } as const;
  const observer = { kind: 'service', name: 'svc-node-red', role: 'observer' } as const;
  const gateway = { kind: 'gateway', site: 'ha-nam', gateway: 'gw-01' } as const;
  it('only the cloud publishes ioc/v1/alerts/{site}, never retained; observers may read them', () => {
    expect(canPublish(ingest, 'ioc/v1/alerts/ha-nam', false)).toBe(true);
    expect(canPublish(ingest, 'ioc/v1/alerts/ha-nam', true)).toBe(false);
    expect(canPublish(gateway, 'ioc/v1/alerts/ha-nam', false)).toBe(false);
    expect(canPublish(observer, 'ioc/v1/alerts/ha-nam', false)).toBe(false);
    expect(canPublish(ingest, 'ioc/v1/alerts/Ha-Nam', false)).toBe(false);
    expect(canPublish(ingest, 'ioc/v1/alerts/+', false)).toBe(false);
    expect(canSubscribe(observer, 'ioc/v1/alerts/#')).toBe(true);
    expect(canSubscribe(gateway, 'ioc/v1/alerts/#')).toBe(false);
  });
});
