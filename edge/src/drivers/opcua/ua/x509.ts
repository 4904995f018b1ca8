// The gateway's self-signed X.509 v3 application instance certificate (RFC 5280, OPC 10000-6 §6.2.2), written with a
// small DER encoder: node:crypto makes keys and signatures and parses certificates, but does not issue them.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { uaError } from './errors.js';

// --- DER (X.690) -----------------------------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content);
const DER_NULL = Buffer.from([0x05, 0x00]);
const DER_TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** A non-negative INTEGER from its big-endian magnitude. */
function integer(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** A BIT STRING of whole bytes, or of `bytes` with its last `unusedBits` bits unused. */
function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    groups.forEach((g, i) => bytes.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2025-03-01T07:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

// --- The certificate -------------------------------------------------------------------------------------------------

const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export interface SelfSignedOptions {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Goes into the subjectAltName as a URI: the ApplicationUri the gateway sends in CreateSession. */
  readonly applicationUri: string;
  /** Goes into the subjectAltName as a DNS name. */
  readonly hostname: string;
  /** Subject and issuer CN (at most 64 characters), e.g. `ioc-edge@gateway-01`. */
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [DER_TRUE] : []), octetString(value));
}

/**
 * The extensions OPC 10000-6 Table 42 asks of an application instance certificate, as node-opcua made them:
 * CA false; digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyCertSign (a self-signed certificate
 * signs itself); serverAuth and clientAuth; the key identifiers; the application URI and host name.
 */
function extensions(options: SelfSignedOptions, keyId: Buffer): Buffer {
  const keyUsage = bitString(Buffer.from([0b1111_0100]), 2);
  const altNames = sequence(tlv(0x86, Buffer.from(options.applicationUri, 'latin1')), tlv(0x82, Buffer.from(options.hostname, 'latin1')));
  return explicit(3, sequence(
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyId))),
    extension(OID.subjectAltName, false, altNames),
  ));
}

/** A self-signed X.509 v3 certificate, DER, signed sha256WithRSAEncryption. */
export function createSelfSignedCertificate(options: SelfSignedOptions): Buffer {
  if (options.commonName.length > 64) throw uaError('IOC_ERR_OPCUA_PKI', 'certificate common name longer than 64 characters');
  if (!/^[\x21-\x7e]+$/.test(options.applicationUri) || !/^[\x21-\x7e]+$/.test(options.hostname)) {
    throw uaError('IOC_ERR_OPCUA_PKI', 'application URI and host name must be printable ASCII');
  }
  const spki = options.publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.2.1.2 (1): the SHA-1 of the subjectPublicKey BIT STRING's value, i.e. the PKCS#1 RSAPublicKey.
  const keyId = createHash('sha1').update(options.publicKey.export({ type: 'pkcs1', format: 'der' })).digest();
  const name = sequence(
    set(sequence(oid(OID.commonName), utf8String(options.commonName))),
    set(sequence(oid(OID.organizationName), utf8String('ioc-telemetry'))),
  );
  const algorithm = sequence(oid(OID.sha256WithRSAEncryption), DER_NULL);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40; // positive, 16 bytes, no leading zero
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name, // issuer: itself
    sequence(time(options.notBefore), time(options.notAfter)),
    name,
    spki,
    extensions(options, keyId),
  );
  const signature = sign('sha256', tbs, options.privateKey);
  return sequence(tbs, algorithm, bitString(signature));
}

/** The first certificate of a DER chain (a ServerCertificate may carry its issuers after it). */
export function leafCertificate(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', 'the server certificate is not DER');
  const first = der[1] ?? 0;
  let length = first;
  let offset = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || der.length < 2 + count) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', 'the server certificate has a malformed DER length');
    length = der.subarray(2, 2 + count).reduce((n, byte) => n * 256 + byte, 0);
    offset = 2 + count;
  }
  if (offset + length > der.length) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', 'the server certificate is truncated');
  return der.subarray(0, offset + length);
}

/** Every certificate of a DER chain, the leaf first (at most 8: a longer chain is refused, not truncated). */
export function chainCertificates(der: Buffer): Buffer[] {
  const chain: Buffer[] = [];
  for (let rest = der; rest.length > 0; rest = rest.subarray(chain[chain.length - 1]!.length)) {
    if (chain.length === 8) throw uaError('IOC_ERR_OPCUA_CERTIFICATE_INVALID', 'the server sent a chain of more than 8 certificates');
    chain.push(leafCertificate(rest));
  }
  return chain;
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The DER certificates of a PEM file (or the file itself if it is DER). */
export function certificatesOf(file: Buffer): Buffer[] {
  const text = file.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return file.length > 0 ? [file] : [];
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => Buffer.from(block.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
}
