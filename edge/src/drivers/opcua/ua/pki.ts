// The gateway's PKI folder, in the layout node-opcua's certificate manager used (so an existing pkiDir keeps working and
// the README's instructions stay true):
//   own/certs/client_certificate.pem   the gateway's certificate (created at the first secure connection)
//   own/private/private_key.pem        its RSA-2048 key (mode 600, folder 700)
//   trusted/certs/                     server certificates the technician trusts, or CAs that signed them (PEM or DER)
//   issuers/certs/                     intermediate CAs, trusted only through a CA in trusted/certs/
//   rejected/                          server certificates seen but not trusted: `<CN>[<sha1>].pem`
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { uaError, type UaError } from './errors.js';
import { MAX_RSA_BITS, MIN_RSA_BITS } from './security.js';
import { certificatesOf, createSelfSignedCertificate, toPem } from './x509.js';

/** The gateway's identity: its certificate (DER), private key and the application URI its certificate names. */
export interface OwnCertificate {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
  readonly applicationUri: string;
}

/** The gateway's OPC-UA application name: in its certificate, its application URI and its sessions. */
export const APPLICATION_NAME = 'ioc-edge';
/** Validity of a created certificate: 10 years, as node-opcua made them; it starts a day back for clock skew. */
const VALIDITY_MS = 10 * 365 * 86_400_000;
const BACKDATE_MS = 86_400_000;

const paths = (pkiDir: string): { cert: string; key: string; trusted: string; issuers: string; rejected: string } => ({
  cert: join(pkiDir, 'own', 'certs', 'client_certificate.pem'),
  key: join(pkiDir, 'own', 'private', 'private_key.pem'),
  trusted: join(pkiDir, 'trusted', 'certs'),
  issuers: join(pkiDir, 'issuers', 'certs'),
  rejected: join(pkiDir, 'rejected'),
});

/** Most CAs between a server certificate and the CA trusted in trusted/certs/. */
const MAX_CHAIN_DEPTH = 4;

/** `urn:<hostname>:ioc-edge`, the hostname hashed when the URN would exceed 64 characters (as node-opcua did). */
export function applicationUriFor(host: string): string {
  const name = host.length + 7 + APPLICATION_NAME.length >= 64 ? createHash('md5').update(host).digest('hex').slice(0, 16) : host;
  return `urn:${name}:${APPLICATION_NAME}`;
}

/** Generations under way, by folder: two links sharing a pkiDir must not make two key pairs. */
const creating = new Map<string, Promise<OwnCertificate>>();

/**
 * Reads the gateway's key and certificate from pkiDir/own, creating them the first time (an RSA-2048 key generation:
 * up to seconds on a small CPU). A certificate without its key is an error the technician must resolve.
 */
export function ownCertificate(pkiDir: string): Promise<OwnCertificate> {
  const dir = resolve(pkiDir);
  let promise = creating.get(dir);
  if (!promise) {
    promise = loadOrCreate(dir).finally(() => creating.delete(dir));
    creating.set(dir, promise);
  }
  return promise;
}

async function loadOrCreate(pkiDir: string): Promise<OwnCertificate> {
  const p = paths(pkiDir);
  const [certPem, keyPem] = await Promise.all([readOptional(p.cert), readOptional(p.key)]);
  if (certPem && !keyPem) throw uaError('IOC_ERR_OPCUA_PKI', `${p.cert} exists without its key ${p.key}: delete it to make a new pair`);
  try {
    const privateKey = keyPem ? createPrivateKey(keyPem) : await newKey(p.key);
    const certificate = certPem ? (certificatesOf(certPem)[0] ?? Buffer.alloc(0)) : await newCertificate(p.cert, privateKey);
    return { certificate, privateKey, applicationUri: checkedApplicationUri(certificate, privateKey, p.cert) };
  } catch (err) {
    if ((err as UaError).code === 'IOC_ERR_OPCUA_PKI') throw err;
    throw uaError('IOC_ERR_OPCUA_PKI', `the gateway's key or certificate in ${join(pkiDir, 'own')} is unusable: ${(err as Error).message}`, { cause: err });
  }
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw uaError('IOC_ERR_OPCUA_PKI', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function newKey(file: string): Promise<KeyObject> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return privateKey;
}

async function newCertificate(file: string, privateKey: KeyObject): Promise<Buffer> {
  const host = hostname();
  const now = Date.now();
  const der = createSelfSignedCertificate({
    privateKey,
    publicKey: createPublicKey(privateKey),
    applicationUri: applicationUriFor(host),
    hostname: host,
    commonName: `${APPLICATION_NAME}@${host}`.slice(0, 64),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + VALIDITY_MS),
  });
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, toPem(der), { flag: 'wx' });
  return der;
}

/** The URI in the certificate's subjectAltName, after checking the certificate belongs to the key. */
function checkedApplicationUri(der: Buffer, privateKey: KeyObject, file: string): string {
  const cert = new X509Certificate(der);
  if (!cert.checkPrivateKey(privateKey)) throw uaError('IOC_ERR_OPCUA_PKI', `${file} does not belong to the private key beside it`);
  const uri = (cert.subjectAltName ?? '').split(/,\s*/).find((name) => name.startsWith('URI:'));
  if (!uri) throw uaError('IOC_ERR_OPCUA_PKI', `${file} names no application URI (subjectAltName URI)`);
  return uri.slice(4).replace(/^"(.*)"$/, '$1');
}

/**
 * Whether the gateway may talk to the server with this certificate (leaf, DER), by the technician's decision in pkiDir:
 * a copy in rejected/ refuses it (even if also in trusted/); a copy in trusted/certs/ accepts it, and so does a chain
 * of valid CA signatures up to a CA in trusted/certs/ (through CAs in issuers/certs/ or sent by the server after its
 * certificate). An unknown one is filed in rejected/ and refused, or with `trustUnknown` filed in trusted/certs/ and
 * accepted. A trusted certificate must still be valid now and hold an RSA key of 2048–4096 bits. Revocation lists are
 * not read. Throws IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED or IOC_ERR_OPCUA_CERTIFICATE_INVALID, naming the file.
 */
export async function checkServerCertificate(pkiDir: string, der: Buffer, trustUnknown: boolean, sentIssuers: readonly Buffer[] = []): Promise<void> {
  const p = paths(resolve(pkiDir));
  const cert = parseServerCertificate(der);
  const thumbprint = createHash('sha1').update(der).digest('hex');
  const [rejected, trusted] = await Promise.all([certificateFiles(p.rejected), certificateFiles(p.trusted)]);
  const label = `server certificate ${commonName(cert)} (SHA-1 ${cert.fingerprint})`;
  const rejectedFile = fileOf(rejected, thumbprint);
  if (rejectedFile) {
    throw uaError('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED', `${label} is in ${rejectedFile}: move it to ${p.trusted}/ to trust it`);
  }
  if (!fileOf(trusted, thumbprint) && !trustedCa(cert, trusted, [...(await certificateFiles(p.issuers)).map((f) => f.der), ...sentIssuers])) {
    const file = `${fileSafe(commonName(cert))}[${thumbprint}].pem`;
    const folder = trustUnknown ? p.trusted : p.rejected;
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, file), toPem(der));
    if (!trustUnknown) {
      throw uaError('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED', `${label} is not trusted yet: filed as ${join(folder, file)}; check its fingerprint and move it to ${p.trusted}/`);
    }
  }
  checkValidity(cert, label);
}

/** One certificate found in a PKI folder: the file holding it, its DER and its SHA-1 thumbprint (hex). */
interface CertificateFile {
  readonly file: string;
  readonly der: Buffer;
  readonly thumbprint: string;
}

/** Every certificate of the PEM or DER files of a folder (none when it does not exist); unreadable files are skipped. */
async function certificateFiles(folder: string): Promise<CertificateFile[]> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => /\.(pem|der|crt|cer)$/i.test(n));
  const contents = await Promise.all(names.map((n) => readFile(join(folder, n)).catch(() => Buffer.alloc(0))));
  return contents.flatMap((content, i) =>
    certificatesOf(content).map((der) => ({ file: join(folder, names[i]!), der, thumbprint: createHash('sha1').update(der).digest('hex') })),
  );
}

/** The file holding the certificate of this thumbprint, if any. */
function fileOf(files: readonly CertificateFile[], thumbprint: string): string | undefined {
  return files.find((f) => f.thumbprint === thumbprint)?.file;
}

interface CaCandidate {
  readonly cert: X509Certificate;
  readonly trusted: boolean;
}

/**
 * Whether a CA in trusted/certs/ vouches for `cert`: each link is a CA certificate (basicConstraints CA), valid now,
 * that issued the one below it and whose key verifies its signature. `issuers`: the CAs of issuers/certs/ and those
 * the server sent, usable as links but not trusted themselves.
 */
function trustedCa(cert: X509Certificate, trusted: readonly CertificateFile[], issuers: readonly Buffer[]): boolean {
  const candidates: CaCandidate[] = [
    ...trusted.flatMap((f) => parsed(f.der)).map((c) => ({ cert: c, trusted: true })),
    ...issuers.flatMap((der) => parsed(der)).map((c) => ({ cert: c, trusted: false })),
  ].filter(({ cert: ca }) => ca.ca && isValidNow(ca));
  let current = cert;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth += 1) {
    const issuer = candidates.find(({ cert: ca }) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (!issuer) return false;
    if (issuer.trusted) return true;
    if (issuer.cert.checkIssued(issuer.cert)) return false; // a root nobody trusted
    current = issuer.cert;
  }
  return false;
}

function parsed(der: Buffer): X509Certificate[] {
  try {
    return [new X509Certificate(der)];
  } catch {
    return [];
  }
}

function isValidNow(cert: X509Certificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo);
}

function parseServerCertificate(der: Buffer): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (cause) {
    throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', 'the server certificate cannot be parsed', { cause });
  }
  const key = cert.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', `the server certificate holds a ${key.asymmetricKeyType ?? 'unknown'} key of ${bits} bits; RSA ${MIN_RSA_BITS}–${MAX_RSA_BITS} is required`);
  }
  return cert;
}

function checkValidity(cert: X509Certificate, label: string): void {
  const now = Date.now();
  if (Date.parse(cert.validFrom) > now) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', `${label} is not valid before ${cert.validFrom}`);
  if (Date.parse(cert.validTo) <= now) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', `${label} expired on ${cert.validTo}`);
}

/** A common name as a file name: control characters and `<>:"/\\|?*` become `_` (as node-opcua named them). */
function fileSafe(name: string): string {
  return [...name].map((c) => (c < ' ' || '<>:"/\\|?*'.includes(c) ? '_' : c)).join('');
}

function commonName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'without CN';
}
