// The gateway's certificate and the trust decisions, on a temporary folder: the certificate as node-opcua and
// OpenSSL-backed node:crypto read it, the key kept private, and the rejected/ and trusted/ rules the README gives.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ua from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationUriFor, checkServerCertificate, ownCertificate } from './pki.js';
import { certificatesOf, chainCertificates, createSelfSignedCertificate, leafCertificate, toPem } from './x509.js';

let dir: string;
let cryptoUtils: typeof Ua.crypto_utils;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-ua-pki-'));
  cryptoUtils = (await import('node-opcua')).crypto_utils;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

function serverCertificate(options: { bits?: number; from?: number; to?: number; cn?: string } = {}): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 2048 });
  return createSelfSignedCertificate({
    privateKey,
    publicKey,
    applicationUri: 'urn:logger:server',
    hostname: 'logger.local',
    commonName: options.cn ?? 'Station Logger',
    notBefore: new Date(options.from ?? Date.now() - DAY),
    notAfter: new Date(options.to ?? Date.now() + 365 * DAY),
  });
}

async function refusal(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => expect.fail('expected a refusal'),
    (err: unknown) => err as Error & { code?: string },
  );
}

describe("the gateway's own certificate", () => {
  it('is created once, in the layout node-opcua used, with the extensions an OPC-UA server checks', async () => {
    const pkiDir = join(dir, 'own');
    const [first, concurrent] = await Promise.all([ownCertificate(pkiDir), ownCertificate(pkiDir)]);
    expect(concurrent.certificate).toEqual(first.certificate); // one key generation for two callers
    const again = await ownCertificate(pkiDir);
    expect(again.certificate).toEqual(first.certificate);

    const pem = await readFile(join(pkiDir, 'own', 'certs', 'client_certificate.pem'), 'utf8');
    expect(certificatesOf(Buffer.from(pem))).toEqual([first.certificate]);
    expect((await stat(join(pkiDir, 'own', 'private', 'private_key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(pkiDir, 'own', 'private'))).mode & 0o777).toBe(0o700);

    const host = hostname();
    expect(first.applicationUri).toBe(applicationUriFor(host));
    const cert = new X509Certificate(first.certificate);
    expect(cert.subject).toContain(`CN=ioc-edge@${host}`);
    expect(cert.subjectAltName).toContain(`URI:${first.applicationUri}`);
    expect(cert.subjectAltName).toContain(`DNS:${host}`);
    expect(cert.checkIssued(cert) && cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(first.privateKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // extKeyUsage serverAuth, clientAuth
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(9 * 365 * DAY);

    const info = cryptoUtils.exploreCertificate(first.certificate).tbsCertificate;
    expect(info.version).toBe(3);
    expect(info.extensions?.basicConstraints).toMatchObject({ cA: false });
    expect(info.extensions?.keyUsage).toMatchObject({ digitalSignature: true, nonRepudiation: true, keyEncipherment: true, dataEncipherment: true, keyCertSign: true });
    expect(info.extensions?.subjectKeyIdentifier).toBe(info.extensions?.authorityKeyIdentifier?.keyIdentifier);
    expect(info.extensions?.subjectAltName).toMatchObject({ uniformResourceIdentifier: [first.applicationUri], dNSName: [host] });
    expect(cryptoUtils.verifyCertificateSignature(first.certificate, first.certificate)).toBe(true);
  });

  it('keeps the key and certificate node-opcua made in an existing pkiDir (an upgraded gateway stays trusted)', async () => {
    const pkiDir = join(dir, 'made-by-node-opcua');
    const ua = await import('node-opcua');
    const manager = new ua.OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
    await manager.initialize();
    const certificateFile = join(pkiDir, 'own', 'certs', 'client_certificate.pem');
    await manager.createSelfSignedCertificate({
      applicationUri: 'urn:old-gateway:ioc-edge',
      dns: ['old-gateway'],
      outputFile: certificateFile,
      subject: '/CN=ioc-edge@old-gateway',
      startDate: new Date(),
      validity: 365,
    });
    await manager.dispose();
    const own = await ownCertificate(pkiDir);
    expect(own.applicationUri).toBe('urn:old-gateway:ioc-edge');
    expect(certificatesOf(await readFile(certificateFile))).toEqual([own.certificate]);
    expect(new X509Certificate(own.certificate).checkPrivateKey(own.privateKey)).toBe(true);
  });

  it('hashes a host name too long for a 64-character URN, as node-opcua did', () => {
    expect(applicationUriFor('gw-01')).toBe('urn:gw-01:ioc-edge');
    expect(applicationUriFor('x'.repeat(60))).toMatch(/^urn:[0-9a-f]{16}:ioc-edge$/);
  });

  it('refuses a certificate left without its key, or a key that does not match it', async () => {
    const orphan = join(dir, 'orphan');
    await mkdir(join(orphan, 'own', 'certs'), { recursive: true });
    await writeFile(join(orphan, 'own', 'certs', 'client_certificate.pem'), toPem(serverCertificate()));
    const err = await refusal(ownCertificate(orphan));
    expect(err.code).toBe('IOC_ERR_OPCUA_PKI');
    expect(err.message).toContain('exists without its key');

    await mkdir(join(orphan, 'own', 'private'), { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(orphan, 'own', 'private', 'private_key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const mismatch = await refusal(ownCertificate(orphan));
    expect(mismatch.code).toBe('IOC_ERR_OPCUA_PKI');
    expect(mismatch.message).toContain('does not belong to the private key');
  });
});

describe("the server's certificate", () => {
  it('is filed in rejected/ as <CN>[<sha1>].pem and refused until moved to trusted/certs/; a copy left in rejected/ wins', async () => {
    const pkiDir = join(dir, 'trust');
    const der = serverCertificate({ cn: 'Logger: station/1' });
    const err = await refusal(checkServerCertificate(pkiDir, der, false));
    expect(err.code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
    const thumbprint = cryptoUtils.makeSHA1Thumbprint(der).toString('hex');
    const name = `Logger_ station_1[${thumbprint}].pem`;
    expect(await readdir(join(pkiDir, 'rejected'))).toEqual([name]);
    expect(err.message).toContain(name);
    expect(certificatesOf(await readFile(join(pkiDir, 'rejected', name)))).toEqual([der]);

    await mkdir(join(pkiDir, 'trusted', 'certs'), { recursive: true });
    await writeFile(join(pkiDir, 'trusted', 'certs', 'copy.der'), der);
    const stillRejected = await refusal(checkServerCertificate(pkiDir, der, true));
    expect(stillRejected.code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
    expect(stillRejected.message).toContain(`is in ${join(pkiDir, 'rejected', name)}`);

    await rename(join(pkiDir, 'rejected', name), join(pkiDir, 'trusted', 'certs', name));
    await checkServerCertificate(pkiDir, der, false);
    expect(await readdir(join(pkiDir, 'rejected'))).toEqual([]);
  });

  it('with trustUnknownServerCertificate, is filed in trusted/certs/ and accepted', async () => {
    const pkiDir = join(dir, 'tofu');
    const der = serverCertificate();
    await checkServerCertificate(pkiDir, der, true);
    expect(await readdir(join(pkiDir, 'trusted', 'certs'))).toEqual([expect.stringMatching(/\[[0-9a-f]{40}\]\.pem$/)]);
    await checkServerCertificate(pkiDir, der, false); // now pinned
  });

  it('is refused, even trusted, when expired, not yet valid, unparsable or with a weak key', async () => {
    const pkiDir = join(dir, 'invalid');
    const expired = serverCertificate({ from: Date.now() - 10 * DAY, to: Date.now() - DAY });
    const future = serverCertificate({ from: Date.now() + DAY });
    const weak = serverCertificate({ bits: 1024 });
    const cases: [Buffer, string][] = [
      [expired, 'expired on'],
      [future, 'is not valid before'],
      [Buffer.from('not a certificate'), 'the server certificate cannot be parsed'],
      [weak, 'holds a rsa key of 1024 bits; RSA 2048–4096 is required'],
    ];
    for (const [der, why] of cases) {
      const err = await refusal(checkServerCertificate(pkiDir, der, true));
      expect(err.code).toBe('IOC_ERR_OPCUA_CERTIFICATE_INVALID');
      expect(err.message).toContain(why);
    }
  });

  it('is cut from a chain at its own DER length', () => {
    const leaf = serverCertificate();
    const issuer = serverCertificate();
    expect(leafCertificate(Buffer.concat([leaf, issuer]))).toEqual(leaf);
    expect(() => leafCertificate(leaf.subarray(0, 100))).toThrow(expect.objectContaining({ code: 'IOC_ERR_OPCUA_CERTIFICATE_INVALID' }));
    expect(() => leafCertificate(Buffer.from([0x30, 0x89, 1]))).toThrow(/malformed DER length/);
  });

  it('splits a chain into its certificates, and refuses trailing garbage or an endless chain', () => {
    const leaf = serverCertificate();
    const issuer = serverCertificate();
    expect(chainCertificates(Buffer.concat([leaf, issuer]))).toEqual([leaf, issuer]);
    expect(chainCertificates(leaf)).toEqual([leaf]);
    expect(() => chainCertificates(Buffer.concat([leaf, Buffer.from([0x30, 0x05, 1])]))).toThrow(/truncated/);
    expect(() => chainCertificates(Buffer.concat([leaf, Buffer.from('garbage')]))).toThrow(expect.objectContaining({ code: 'IOC_ERR_OPCUA_CERTIFICATE_INVALID' }));
    expect(() => chainCertificates(Buffer.concat(Array.from({ length: 9 }, () => leaf)))).toThrow(/more than 8/);
  });
});

describe("the server's certificate, trusted through a CA", () => {
  let ca: string;
  /** Runs openssl in the CA folder, with its default config (node-opcua, loaded by this file, sets OPENSSL_CONF). */
  const openssl = (...args: string[]): void => {
    const { OPENSSL_CONF: _ignored, ...env } = process.env;
    execFileSync('openssl', args, { cwd: ca, stdio: ['ignore', 'ignore', 'pipe'], env });
  };
  const der = async (file: string): Promise<Buffer> => certificatesOf(await readFile(join(ca, file)))[0]!;
  /** A certificate for `name` signed by `issuer` (a CA when `isCa`), valid `days` from now (negative: already expired). */
  const signed = (name: string, issuer: string, options: { isCa?: boolean; days?: number } = {}): void => {
    writeFileSync(join(ca, `${name}.cnf`), options.isCa ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' : 'basicConstraints=CA:FALSE\nsubjectAltName=URI:urn:logger:server,DNS:logger.local\n');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', String(options.days ?? 30), '-extfile', `${name}.cnf`);
  };

  beforeAll(async () => {
    ca = join(dir, 'ca');
    await mkdir(ca, { recursive: true });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/CN=Province Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign,cRLSign');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '30', '-subj', '/CN=Someone Else CA');
    signed('intermediate', 'root', { isCa: true });
    signed('logger', 'intermediate');
    signed('direct', 'root');
    signed('not-a-ca', 'root');
    signed('forged', 'not-a-ca');
    signed('other-logger', 'other');
  }, 60_000);

  /** A pkiDir whose trusted/certs/ and issuers/certs/ hold these files of the CA folder. */
  const pkiWith = async (name: string, trusted: string[], issuers: string[] = []): Promise<string> => {
    const pkiDir = join(dir, name);
    for (const [folder, files] of [['trusted', trusted], ['issuers', issuers]] as const) {
      await mkdir(join(pkiDir, folder, 'certs'), { recursive: true });
      for (const file of files) await writeFile(join(pkiDir, folder, 'certs', file), await readFile(join(ca, file)));
    }
    return pkiDir;
  };

  it('accepts a certificate signed by a CA in trusted/certs/, without filing it', async () => {
    const pkiDir = await pkiWith('ca-direct', ['root.pem']);
    await checkServerCertificate(pkiDir, await der('direct.pem'), false);
    await expect(readdir(join(pkiDir, 'rejected'))).rejects.toThrow(/ENOENT/);
  });

  it('follows an intermediate CA from issuers/certs/ or sent by the server, up to the trusted root', async () => {
    await checkServerCertificate(await pkiWith('ca-issuers', ['root.pem'], ['intermediate.pem']), await der('logger.pem'), false);
    await checkServerCertificate(await pkiWith('ca-sent', ['root.pem']), await der('logger.pem'), false, [await der('intermediate.pem')]);
  });

  it('refuses and files a certificate whose chain does not reach a trusted CA', async () => {
    const cases: [string, string, string[], string[]][] = [
      ['no intermediate', 'logger.pem', ['root.pem'], []],
      ['intermediate only in issuers/', 'logger.pem', [], ['intermediate.pem', 'root.pem']],
      ['another CA', 'other-logger.pem', ['root.pem'], []],
      ['issuer is not a CA', 'forged.pem', ['root.pem'], ['not-a-ca.pem']],
    ];
    for (const [what, leaf, trusted, issuers] of cases) {
      const pkiDir = await pkiWith(`ca-refused-${what.replace(/\W+/g, '-')}`, trusted, issuers);
      const err = await refusal(checkServerCertificate(pkiDir, await der(leaf), false));
      expect(err.code, what).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
      expect(await readdir(join(pkiDir, 'rejected')), what).toHaveLength(1);
    }
  });

  it('does not trust through an expired CA', async () => {
    signed('expired-intermediate', 'root', { isCa: true, days: -1 });
    signed('late-logger', 'expired-intermediate');
    const pkiDir = await pkiWith('ca-expired', ['root.pem'], ['expired-intermediate.pem']);
    expect((await refusal(checkServerCertificate(pkiDir, await der('late-logger.pem'), false))).code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
  });

  it('still refuses a CA-signed certificate that the technician put in rejected/', async () => {
    const pkiDir = await pkiWith('ca-but-rejected', ['root.pem']);
    await mkdir(join(pkiDir, 'rejected'), { recursive: true });
    await writeFile(join(pkiDir, 'rejected', 'direct.pem'), await readFile(join(ca, 'direct.pem')));
    expect((await refusal(checkServerCertificate(pkiDir, await der('direct.pem'), false))).code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
  });
});
