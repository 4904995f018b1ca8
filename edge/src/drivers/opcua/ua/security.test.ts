// The cryptographic building blocks without a network: P_SHA256 against the published TLS 1.2 PRF vector and against
// node-opcua's implementation, key derivation, AES and HMAC as node-opcua computes them, RSA-OAEP over several
// blocks, and the chunk check that rejects a tampered or badly padded message.
import { constants, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import type * as Ua from 'node-opcua';
import { beforeAll, describe, expect, it } from 'vitest';
import { paddingBytes, verifiedPlaintext } from './secure-channel.js';
import {
  SECURITY_POLICIES,
  asymmetricSign,
  asymmetricVerify,
  deriveKeys,
  pSha256,
  rsaDecrypt,
  rsaEncrypt,
  rsaPlainBlockSize,
  symmetricDecrypt,
  symmetricEncrypt,
  symmetricSign,
  symmetricVerify,
  type SecurityPolicyName,
} from './security.js';

let cryptoUtils: typeof Ua.crypto_utils;
let rsa: { privateKey: KeyObject; publicKey: KeyObject };
const SECURE: SecurityPolicyName[] = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

beforeAll(async () => {
  cryptoUtils = (await import('node-opcua')).crypto_utils;
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
});

describe('P_SHA256', () => {
  it('gives the published TLS 1.2 PRF (SHA-256) test vector', () => {
    // PRF(secret, label, seed) = P_SHA256(secret, label + seed); vector from the IETF TLS list (msg03416), 100 bytes.
    const secret = Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex');
    const seed = Buffer.concat([Buffer.from('test label', 'latin1'), Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex')]);
    const expected =
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17' +
      'abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66';
    expect(pSha256(secret, seed, 100).toString('hex')).toBe(expected);
  });

  it("equals node-opcua's makePseudoRandomBuffer for nonces and lengths the policies use", () => {
    for (const length of [1, 31, 32, 33, 64, 80, 96, 200]) {
      const secret = randomBytes(32);
      const seed = randomBytes(32);
      expect(pSha256(secret, seed, length)).toEqual(cryptoUtils.makePseudoRandomBuffer(secret, seed, length, 'SHA256'));
    }
  });
});

describe('symmetric keys, signature and encryption', () => {
  it.each(SECURE)('%s: derives, signs and encrypts as node-opcua does', (name) => {
    const policy = SECURITY_POLICIES[name];
    const serverNonce = randomBytes(32);
    const clientNonce = randomBytes(32);
    const ours = deriveKeys(policy, serverNonce, clientNonce);
    const theirs = cryptoUtils.computeDerivedKeys(serverNonce, clientNonce, {
      signingKeyLength: policy.signingKeyLength,
      encryptingKeyLength: policy.encryptingKeyLength,
      encryptingBlockSize: 16,
      signatureLength: 32,
      algorithm: policy.encryptingKeyLength === 16 ? 'aes-128-cbc' : 'aes-256-cbc',
      sha1or256: 'SHA256',
    });
    expect([ours.signingKey, ours.encryptingKey, ours.iv]).toEqual([theirs.signingKey, theirs.encryptingKey, theirs.initializationVector]);

    const plain = randomBytes(16 * 20);
    const encrypted = symmetricEncrypt(ours, plain);
    expect(encrypted).toEqual(cryptoUtils.encryptBufferWithDerivedKeys(plain, theirs));
    expect(symmetricDecrypt(ours, encrypted)).toEqual(plain);
    expect(symmetricSign(ours, plain)).toEqual(cryptoUtils.makeMessageChunkSignatureWithDerivedKeys(plain, theirs));
    expect(symmetricVerify(ours, plain, symmetricSign(ours, plain))).toBe(true);
    expect(symmetricVerify(ours, plain, Buffer.alloc(32))).toBe(false);
    expect(symmetricVerify(ours, plain, Buffer.alloc(3))).toBe(false);
  });

  it('refuses to decrypt what is not a whole number of AES blocks', () => {
    const keys = deriveKeys(SECURITY_POLICIES.Basic256Sha256, randomBytes(32), randomBytes(32));
    expect(() => symmetricDecrypt(keys, Buffer.alloc(17))).toThrow(expect.objectContaining({ code: 'IOC_ERR_OPCUA_SECURITY' }));
  });
});

describe('RSA', () => {
  it.each(SECURE)('%s: RSA-OAEP over several blocks, each decryptable on its own', (name) => {
    const policy = SECURITY_POLICIES[name];
    const block = rsaPlainBlockSize(policy, 256);
    expect(block).toBe(policy.oaepHash === 'sha1' ? 214 : 190);
    const data = randomBytes(block * 2 + 7);
    const encrypted = rsaEncrypt(policy, rsa.publicKey, data);
    expect(encrypted.length).toBe(3 * 256);
    const first = privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: policy.oaepHash }, encrypted.subarray(0, 256));
    expect(first).toEqual(data.subarray(0, block));
    expect(rsaDecrypt(policy, rsa.privateKey, encrypted)).toEqual(data);
  });

  it('fails decryption of altered or misaligned data with IOC_ERR_OPCUA_SECURITY', () => {
    const policy = SECURITY_POLICIES.Basic256Sha256;
    const encrypted = rsaEncrypt(policy, rsa.publicKey, Buffer.from('secret'));
    encrypted[100] = (encrypted[100] ?? 0) ^ 1;
    expect(() => rsaDecrypt(policy, rsa.privateKey, encrypted)).toThrow(expect.objectContaining({ code: 'IOC_ERR_OPCUA_SECURITY' }));
    expect(() => rsaDecrypt(policy, rsa.privateKey, Buffer.alloc(255))).toThrow(/not a multiple of our 256-byte RSA block/);
    const sha256 = rsaEncrypt(SECURITY_POLICIES.Aes256_Sha256_RsaPss, rsa.publicKey, Buffer.from('secret'));
    expect(() => rsaDecrypt(policy, rsa.privateKey, sha256)).toThrow(/RSA-OAEP decryption failed/); // wrong OAEP hash
  });

  it.each(SECURE)('%s: signs with the key modulus length and verifies only the signed data', (name) => {
    const policy = SECURITY_POLICIES[name];
    const data = randomBytes(500);
    const signature = asymmetricSign(policy, rsa.privateKey, data);
    expect(signature.length).toBe(256);
    expect(asymmetricVerify(policy, rsa.publicKey, data, signature)).toBe(true);
    expect(asymmetricVerify(policy, rsa.publicKey, Buffer.concat([data, Buffer.from([0])]), signature)).toBe(false);
    expect(asymmetricVerify(policy, rsa.publicKey, data, Buffer.alloc(10))).toBe(false);
  });
});

describe('a received chunk: signature, then padding', () => {
  const keys = deriveKeys(SECURITY_POLICIES.Basic256Sha256, Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  const header = Buffer.from('MSGF\0\0\0\0\x01\0\0\0\x02\0\0\0', 'latin1');
  const options = { signatureLength: 32, extraPadding: false, verify: (d: Buffer, s: Buffer) => symmetricVerify(keys, d, s), what: 'message chunk' };

  /** sequence header + body + padding, signed: what a sender encrypts. */
  function chunk(body: Buffer, paddingSize: number, padding = paddingBytes(paddingSize, false)): Buffer {
    const plain = Buffer.concat([Buffer.alloc(8, 7), body, padding]);
    return Buffer.concat([plain, symmetricSign(keys, Buffer.concat([header, plain]))]);
  }

  it('returns the sequence header and body without the padding', () => {
    const body = Buffer.from('hello');
    expect(verifiedPlaintext(header, chunk(body, 2), options)).toEqual(Buffer.concat([Buffer.alloc(8, 7), body]));
  });

  it('refuses any altered byte, a truncated chunk, and a padding longer than the chunk', () => {
    const good = chunk(Buffer.from('hello'), 2);
    for (let i = 0; i < good.length; i += 1) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] ?? 0) ^ 0x80;
      expect(() => verifiedPlaintext(header, bad, options)).toThrow('message chunk: signature invalid');
    }
    expect(() => verifiedPlaintext(header, good.subarray(0, 40), options)).toThrow(/too short for its signature/);
    const lying = chunk(Buffer.from('hi'), 0, Buffer.from([200])); // signed, but its padding size is absurd
    expect(() => verifiedPlaintext(header, lying, options)).toThrow('message chunk: padding of 200 bytes exceeds the chunk');
  });

  it('writes PaddingSize, the padding, and ExtraPaddingSize for keys above 2048 bits', () => {
    expect(paddingBytes(3, false)).toEqual(Buffer.from([3, 3, 3, 3]));
    expect(paddingBytes(0, false)).toEqual(Buffer.from([0]));
    const large = paddingBytes(300, true);
    expect([large.length, large[0], large[300], large[301]]).toEqual([302, 300 & 0xff, 300 & 0xff, 1]);
  });
});
