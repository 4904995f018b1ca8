// The security policies the gateway speaks (OPC 10000-7 profiles; OPC 10000-6 §6.7.5 key derivation) and their
// primitives, all from node:crypto: RSA signatures and RSA-OAEP for the OpenSecureChannel handshake and the password,
// P_SHA256 for the symmetric keys, AES-CBC and HMAC-SHA256 for every other message.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  privateDecrypt,
  publicEncrypt,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { uaError } from './errors.js';

export type SecurityPolicyName = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface SecurityPolicy {
  readonly name: SecurityPolicyName;
  readonly uri: string;
  /** AsymmetricSignatureAlgorithm URI, as put in SignatureData.algorithm. */
  readonly signatureUri: string;
  /** RSA-PSS (Aes256_Sha256_RsaPss) or PKCS#1 v1.5, both over SHA-256. */
  readonly pss: boolean;
  /** AsymmetricEncryptionAlgorithm URI (UserNameIdentityToken.encryptionAlgorithm). */
  readonly encryptionUri: string;
  /** OAEP hash: SHA-1 (RSA-OAEP) or SHA-256 (RSA-OAEP-SHA2-256). */
  readonly oaepHash: 'sha1' | 'sha256';
  /** Derived key lengths, bytes: the HMAC key and the AES key. */
  readonly signingKeyLength: number;
  readonly encryptingKeyLength: number;
  /** Length of the nonces of OpenSecureChannel and CreateSession, bytes. */
  readonly nonceLength: number;
}

const POLICY_URI = 'http://opcfoundation.org/UA/SecurityPolicy#';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep';

export const SECURITY_POLICIES: Readonly<Record<SecurityPolicyName, SecurityPolicy>> = {
  None: {
    name: 'None', uri: `${POLICY_URI}None`, signatureUri: '', pss: false, encryptionUri: '', oaepHash: 'sha1',
    signingKeyLength: 0, encryptingKeyLength: 0, nonceLength: 0,
  },
  Basic256Sha256: {
    name: 'Basic256Sha256', uri: `${POLICY_URI}Basic256Sha256`, signatureUri: RSA_SHA256, pss: false,
    encryptionUri: RSA_OAEP, oaepHash: 'sha1', signingKeyLength: 32, encryptingKeyLength: 32, nonceLength: 32,
  },
  Aes128_Sha256_RsaOaep: {
    name: 'Aes128_Sha256_RsaOaep', uri: `${POLICY_URI}Aes128_Sha256_RsaOaep`, signatureUri: RSA_SHA256, pss: false,
    encryptionUri: RSA_OAEP, oaepHash: 'sha1', signingKeyLength: 32, encryptingKeyLength: 16, nonceLength: 32,
  },
  Aes256_Sha256_RsaPss: {
    name: 'Aes256_Sha256_RsaPss', uri: `${POLICY_URI}Aes256_Sha256_RsaPss`,
    signatureUri: 'http://opcfoundation.org/UA/security/rsa-pss-sha2-256', pss: true,
    encryptionUri: 'http://opcfoundation.org/UA/security/rsa-oaep-sha2-256', oaepHash: 'sha256',
    signingKeyLength: 32, encryptingKeyLength: 32, nonceLength: 32,
  },
};

/** The policy of a URI, or undefined for one the gateway does not speak (Basic128Rsa15, Basic256: deprecated). */
export function policyOfUri(uri: string | null | undefined): SecurityPolicy | undefined {
  return Object.values(SECURITY_POLICIES).find((policy) => policy.uri === uri);
}

/** AES block size, bytes (both AES-128 and AES-256 in CBC mode). */
export const AES_BLOCK = 16;
/** HMAC-SHA256 output, bytes: the symmetric signature of every policy here. */
export const SYMMETRIC_SIGNATURE_LENGTH = 32;
/** RSA key sizes the policies allow, bits. */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 4096;

/**
 * P_SHA256(secret, seed) of RFC 5246 §5, truncated to `length` bytes:
 * A(0) = seed, A(i) = HMAC(secret, A(i-1)), output = HMAC(secret, A(1) + seed) ‖ HMAC(secret, A(2) + seed) ‖ …
 */
export function pSha256(secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let produced = 0;
  let a = seed;
  while (produced < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(seed).digest();
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The keys of one direction of a channel under one token. */
export interface SymmetricKeys {
  readonly signingKey: Buffer;
  readonly encryptingKey: Buffer;
  readonly iv: Buffer;
}

/**
 * OPC 10000-6 §6.7.5: the client's keys are P_SHA256(serverNonce, clientNonce), the server's
 * P_SHA256(clientNonce, serverNonce); each output is split into signing key, encrypting key, IV.
 */
export function deriveKeys(policy: SecurityPolicy, secret: Buffer, seed: Buffer): SymmetricKeys {
  const { signingKeyLength: s, encryptingKeyLength: e } = policy;
  const bytes = pSha256(secret, seed, s + e + AES_BLOCK);
  return { signingKey: bytes.subarray(0, s), encryptingKey: bytes.subarray(s, s + e), iv: bytes.subarray(s + e) };
}

export function symmetricSign(keys: SymmetricKeys, data: Buffer): Buffer {
  return createHmac('sha256', keys.signingKey).update(data).digest();
}

export function symmetricVerify(keys: SymmetricKeys, data: Buffer, signature: Buffer): boolean {
  const expected = symmetricSign(keys, data);
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}

function aesAlgorithm(keys: SymmetricKeys): string {
  return keys.encryptingKey.length === 16 ? 'aes-128-cbc' : 'aes-256-cbc';
}

/** AES-CBC without padding of its own: `data` is already a multiple of AES_BLOCK (OPC-UA pads before signing). */
export function symmetricEncrypt(keys: SymmetricKeys, data: Buffer): Buffer {
  const cipher = createCipheriv(aesAlgorithm(keys), keys.encryptingKey, keys.iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

export function symmetricDecrypt(keys: SymmetricKeys, data: Buffer): Buffer {
  if (data.length % AES_BLOCK !== 0) {
    throw uaError('IOC_ERR_OPCUA_SECURITY', `encrypted part of ${data.length} bytes is not a multiple of the AES block`);
  }
  const decipher = createDecipheriv(aesAlgorithm(keys), keys.encryptingKey, keys.iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

/** The modulus of an RSA key, bytes (256 for RSA-2048). */
export function rsaKeyBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) throw uaError('IOC_ERR_OPCUA_SECURITY', 'not an RSA key');
  return bits / 8;
}

/** Plaintext per RSA-OAEP block: the modulus less 2·hash + 2 bytes (42 with SHA-1, 66 with SHA-256). */
export function rsaPlainBlockSize(policy: SecurityPolicy, keyBytes: number): number {
  return keyBytes - (policy.oaepHash === 'sha1' ? 42 : 66);
}

/** RSA-OAEP over as many blocks as `data` needs (each block of plaintext encrypted on its own). */
export function rsaEncrypt(policy: SecurityPolicy, publicKey: KeyObject, data: Buffer): Buffer {
  const keyBytes = rsaKeyBytes(publicKey);
  const plainBlock = rsaPlainBlockSize(policy, keyBytes);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += plainBlock) {
    const block = data.subarray(at, Math.min(at + plainBlock, data.length));
    out.push(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: policy.oaepHash }, block));
  }
  return Buffer.concat(out);
}

export function rsaDecrypt(policy: SecurityPolicy, privateKey: KeyObject, data: Buffer): Buffer {
  const keyBytes = rsaKeyBytes(privateKey);
  if (data.length === 0 || data.length % keyBytes !== 0) {
    throw uaError('IOC_ERR_OPCUA_SECURITY', `encrypted part of ${data.length} bytes is not a multiple of our ${keyBytes}-byte RSA block`);
  }
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += keyBytes) {
    try {
      const options = { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: policy.oaepHash };
      out.push(privateDecrypt(options, data.subarray(at, at + keyBytes)));
    } catch (cause) {
      throw uaError('IOC_ERR_OPCUA_SECURITY', 'RSA-OAEP decryption failed (not encrypted for our certificate?)', { cause });
    }
  }
  return Buffer.concat(out);
}

function rsaOptions(policy: SecurityPolicy, key: KeyObject): { key: KeyObject; padding: number; saltLength?: number } {
  return policy.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };
}

/** The policy's asymmetric signature (SHA-256 with PKCS#1 v1.5, or PSS): as long as the key's modulus. */
export function asymmetricSign(policy: SecurityPolicy, privateKey: KeyObject, data: Buffer): Buffer {
  return sign('sha256', data, rsaOptions(policy, privateKey));
}

export function asymmetricVerify(policy: SecurityPolicy, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', data, rsaOptions(policy, publicKey), signature);
  } catch {
    return false;
  }
}
