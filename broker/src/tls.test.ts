import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IClientOptions } from 'mqtt';
import { startBroker, type RunningBroker } from './broker.js';
import { Clients, closed, gateway, rawSocket, silentLog, socketClosed, tableVerifier, type Account } from './test-support/helpers.js';

/** TLS listeners with throwaway certificates made by the openssl CLI. */

const dir = mkdtempSync(path.join(tmpdir(), 'ioc-broker-tls-'));
const file = (name: string): string => path.join(dir, name);
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A key and a certificate for `cn`, signed by `ca` (or self-signed when `ca` is undefined). */
function issue(name: string, cn: string, ca?: string, san?: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${cn}`,
    ...(ca ? ['-out', `${name}.csr`] : ['-x509', '-days', '1', '-out', `${name}.crt`]));
  if (!ca) return;
  writeFileSync(file(`${name}.ext`), san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

const accounts: Record<string, Account> = {
  'gw-01': { secret: 's1', principal: gateway('site-a', 'gw-01') },
  'gw-02': { secret: 's2', principal: gateway('site-a', 'gw-02') },
  'gw-old': { secret: 's3', principal: gateway('site-a', 'gw-old'), revoked: true },
};

const brokers: RunningBroker[] = [];
const clients = new Clients();
const pem = (name: string): Buffer => readFileSync(file(name));

beforeAll(() => {
  issue('ca', 'IOC test CA');
  issue('server', 'localhost', 'ca', 'IP:127.0.0.1,DNS:localhost');
  issue('gw01', 'gw-01', 'ca');
  issue('old', 'gw-old', 'ca');
  issue('rogue-ca', 'Someone else');
  issue('rogue', 'gw-01', 'rogue-ca');
});
afterEach(() => clients.endAll());
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function tlsBroker(tls: { caFile?: string; requireClientCert?: boolean; certAuth?: boolean }): Promise<RunningBroker> {
  const b = await startBroker({
    port: 0,
    log: silentLog,
    credentials: tableVerifier(accounts),
    tls: { port: 0, certFile: file('server.crt'), keyFile: file('server.key'), ...tls },
  });
  brokers.push(b);
  return b;
}

/** mqtt.js options that trust our CA and present the named client certificate, if any. */
const tlsOpts = (cert?: string): IClientOptions => ({
  ca: pem('ca.crt'),
  rejectUnauthorized: true,
  ...(cert ? { cert: pem(`${cert}.crt`), key: pem(`${cert}.key`) } : {}),
});

describe('TLS without client certificates', () => {
  it('admits a gateway by password over TLS, and the plain TCP listener still works', async () => {
    const b = await tlsBroker({});
    expect(b.tlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const c = await clients.connect(b.tlsUrl!, { ...tlsOpts(), clientId: 'gw-01', username: 'gw-01', password: 's1' });
    await c.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{}', { qos: 1 });
    expect(await clients.connackCode(b.url, { clientId: 'gw-02', username: 'gw-02', password: 's2' })).toBe(0);
    expect(b.stats().messagesIn[1]).toBe(1);
  });

  it('counts a client that speaks plain MQTT to the TLS port as a failed handshake', async () => {
    const b = await tlsBroker({});
    const s = await rawSocket(b.tlsPort!);
    s.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e, 0x00, 0x00])); // a plain CONNECT
    await socketClosed(s);
    expect(b.stats().refusals.tls_handshake).toBe(1);
  });
});

describe('client certificate authentication (certAuth)', () => {
  let b: RunningBroker;
  beforeAll(async () => {
    b = await tlsBroker({ caFile: file('ca.crt'), certAuth: true });
  });

  it("admits a gateway by its certificate alone, as the principal of the certificate's CN", async () => {
    const c = await clients.connect(b.tlsUrl!, { ...tlsOpts('gw01'), clientId: 'gw-01' });
    await c.publishAsync('ioc/v1/site-a/gw-01/telemetry', '{}', { qos: 1 });
    const gone = closed(c);
    c.publish('ioc/v1/site-a/gw-02/telemetry', '{}', { qos: 1 }); // another gateway's topic: still confined
    await gone;
    expect(b.stats().refusals.publish_denied).toBe(1);
  });

  it('still admits a gateway without a certificate by password', async () => {
    expect(await clients.connackCode(b.tlsUrl!, { ...tlsOpts(), clientId: 'gw-02', username: 'gw-02', password: 's2' })).toBe(0);
  });

  it.each([
    ['no certificate and no password', undefined, { clientId: 'gw-01' }, 5, 'anonymous'],
    ["a certificate with another gateway's client id", 'gw01', { clientId: 'gw-02' }, 2, 'client_id_mismatch'],
    ["a certificate with another gateway's username", 'gw01', { clientId: 'gw-02', username: 'gw-02', password: 's2' }, 5, 'cert_mismatch'],
    ['a certificate from another CA', 'rogue', { clientId: 'gw-01' }, 5, 'bad_certificate'],
    ['the certificate of a revoked gateway', 'old', { clientId: 'gw-old' }, 5, 'revoked'],
  ] as const)('refuses %s', async (_name, cert, opts, code, reason) => {
    const before = b.stats().refusals[reason];
    expect(await clients.connackCode(b.tlsUrl!, { ...tlsOpts(cert), ...opts })).toBe(code);
    expect(b.stats().refusals[reason]).toBe(before + 1);
  });
});

describe('required client certificates', () => {
  it('fails the handshake without a certificate, and admits one with a certificate and its password', async () => {
    const b = await tlsBroker({ caFile: file('ca.crt'), requireClientCert: true });
    await expect(clients.connect(b.tlsUrl!, { ...tlsOpts(), clientId: 'gw-01', username: 'gw-01', password: 's1' })).rejects.toThrow();
    expect(b.stats().refusals.tls_handshake).toBe(1);
    expect(await clients.connackCode(b.tlsUrl!, { ...tlsOpts('gw01'), clientId: 'gw-01', username: 'gw-01', password: 's1' })).toBe(0);
    // without certAuth the certificate only opens the door: the password is still checked
    expect(await clients.connackCode(b.tlsUrl!, { ...tlsOpts('gw01'), clientId: 'gw-01' })).toBe(5);
  });
});
