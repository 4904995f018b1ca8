// The secure channel (OPC 10000-6 §6.7): OpenSecureChannel signed and encrypted with the two certificates' RSA keys,
// then every message chunk signed with HMAC-SHA256 and encrypted with AES-CBC under keys derived from the two nonces;
// sequence numbers checked, the token renewed at 75 % of its lifetime. With security mode None the same framing
// carries the messages in clear.
import { createHash, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { Reader, Writer } from './binary.js';
import { asUaError, statusError, uaError, type UaError } from './errors.js';
import {
  MESSAGE_SECURITY_MODE,
  SERVICES,
  readOpenSecureChannelResponse,
  readServiceResponse,
  writeOpenSecureChannelRequest,
  writeRequestHeader,
  type ChannelSecurityToken,
} from './messages.js';
import { NULL_NODE_ID, numericNodeId, writeNodeId } from './nodeid.js';
import {
  AES_BLOCK,
  SYMMETRIC_SIGNATURE_LENGTH,
  asymmetricSign,
  asymmetricVerify,
  deriveKeys,
  rsaDecrypt,
  rsaEncrypt,
  rsaKeyBytes,
  rsaPlainBlockSize,
  symmetricDecrypt,
  symmetricEncrypt,
  symmetricSign,
  symmetricVerify,
  type SecurityPolicy,
  type SymmetricKeys,
} from './security.js';
import { CLIENT_LIMITS, UaTcpConnection, type Chunk, type SecureMessageType } from './transport.js';

/** The gateway's certificate (DER) and its private key. */
export interface OwnKeys {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

export interface ChannelOptions {
  readonly endpointUrl: string;
  readonly mode: 'None' | 'SignAndEncrypt';
  readonly policy: SecurityPolicy;
  /** Required with SignAndEncrypt. */
  readonly own?: OwnKeys;
  /** The server's certificate (leaf, DER) from its endpoint description: required with SignAndEncrypt. */
  readonly serverCertificate?: Buffer;
  /** Token lifetime asked of the server, ms (it may revise it). */
  readonly requestedLifetimeMs: number;
  /** Bound of each OpenSecureChannel exchange, ms. */
  readonly timeoutMs: number;
  /** Called once if the channel ends other than by close(): socket lost, ERR from the server, a failed check. */
  onClose(err: UaError): void;
}

/** One security token: the keys the gateway signs and encrypts with, and those the server uses. */
interface Token {
  readonly id: number;
  readonly client: SymmetricKeys | undefined;
  readonly server: SymmetricKeys | undefined;
}

interface Pending {
  readonly service: string;
  resolve(body: Reader): void;
  reject(err: UaError): void;
  timer: NodeJS.Timeout | undefined;
  parts: Buffer[];
  bytes: number;
}

/** Legacy sequence numbers wrap after UInt32.MaxValue − 1024, to a number below 1024 (OPC 10000-6 §6.7.2.4). */
const SEQUENCE_WRAP_AFTER = 0xffff_ffff - 1024;
const MESSAGE_HEADER = 12;
const SYMMETRIC_HEADER = 16;
const SEQUENCE_HEADER = 8;

export class SecureChannel {
  private readonly transport: UaTcpConnection;
  private readonly secure: boolean;
  private readonly serverKey: KeyObject | undefined;
  private readonly serverThumbprint: Buffer | undefined;
  private readonly ownThumbprint: Buffer | undefined;
  private channelId = 0;
  private current: Token | undefined;
  private previous: Token | undefined;
  private sendSequence = 0;
  private receiveSequence: number | undefined;
  private lastRequestId = 0;
  private readonly pending = new Map<number, Pending>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** Why the channel ended: later requests fail with it. */
  private closedBy: UaError | undefined;

  constructor(private readonly options: ChannelOptions) {
    this.secure = options.mode === 'SignAndEncrypt';
    if (this.secure) {
      const { own, serverCertificate } = options;
      if (!own || !serverCertificate) throw uaError('IOC_ERR_OPCUA_SECURITY', 'SignAndEncrypt needs both certificates');
      this.serverKey = new X509Certificate(serverCertificate).publicKey;
      this.serverThumbprint = sha1(serverCertificate);
      this.ownThumbprint = sha1(own.certificate);
    }
    this.transport = new UaTcpConnection(options.endpointUrl, {
      onChunk: (chunk) => this.receive(chunk),
      onClose: (err) => this.ended(err ?? uaError('IOC_ERR_OPCUA_CONNECT', 'connection closed')),
    });
  }

  /** Connects, exchanges Hello/Acknowledge and opens the channel (its first token). */
  async open(): Promise<void> {
    await this.transport.open();
    await this.openSecureChannel(0);
  }

  /**
   * Sends one request (`body`: the encoding id, the RequestHeader, the fields) and resolves with the whole response
   * body. `timeoutMs` 0: no local timeout (the publish requests, which the server holds on purpose).
   */
  request(body: Buffer, timeoutMs: number, service: string): Promise<Reader> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (!this.current) return Promise.reject(uaError('IOC_ERR_OPCUA_CLOSED', `${service}: the channel is not open`));
    const requestId = this.newRequestId();
    const response = this.expect(requestId, timeoutMs, service);
    try {
      for (const chunk of this.symmetricChunks('MSG', body, requestId)) this.transport.send(chunk);
    } catch (err) {
      this.settle(requestId)?.reject(err as UaError);
    }
    return response;
  }

  /** Sends CloseSecureChannel and ends the connection; pending requests fail with IOC_ERR_OPCUA_CLOSED. */
  close(): void {
    if (this.closedBy) return;
    if (this.current) {
      const w = new Writer();
      writeNodeId(w, numericNodeId(SERVICES.closeSecureChannel.request));
      writeRequestHeader(w, { authenticationToken: NULL_NODE_ID, requestHandle: 0, timeoutHintMs: 0 });
      try {
        for (const chunk of this.symmetricChunks('CLO', w.toBuffer(), this.newRequestId())) this.transport.send(chunk);
      } catch {
        // the connection is gone already: nothing to say goodbye on
      }
    }
    this.shutdown(uaError('IOC_ERR_OPCUA_CLOSED', 'the channel was closed'));
    this.transport.end();
  }

  /** Drops the channel because of `err` (a response the client could not use): onClose(err). */
  destroy(err: UaError): void {
    this.transport.destroy(err);
  }

  private ended(err: UaError): void {
    if (this.closedBy) return;
    this.shutdown(err);
    this.options.onClose(err);
  }

  private shutdown(err: UaError): void {
    this.closedBy = err;
    clearTimeout(this.renewTimer);
    for (const requestId of [...this.pending.keys()]) this.settle(requestId)?.reject(err);
  }

  private newRequestId(): number {
    this.lastRequestId = this.lastRequestId >= 0xffff_ffff ? 1 : this.lastRequestId + 1;
    return this.lastRequestId;
  }

  private nextSequenceNumber(): number {
    this.sendSequence = this.sendSequence > SEQUENCE_WRAP_AFTER ? 1 : this.sendSequence + 1;
    return this.sendSequence;
  }

  private expect(requestId: number, timeoutMs: number, service: string): Promise<Reader> {
    return new Promise<Reader>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => this.settle(requestId)?.reject(uaError('IOC_ERR_OPCUA_TIMEOUT', `${service}: no response in ${timeoutMs} ms`)), timeoutMs)
        : undefined;
      this.pending.set(requestId, { service, resolve, reject, timer, parts: [], bytes: 0 });
    });
  }

  /** Removes a pending request and its timer; undefined if it was settled already. */
  private settle(requestId: number): Pending | undefined {
    const pending = this.pending.get(requestId);
    if (!pending) return undefined;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    return pending;
  }

  // --- OpenSecureChannel ---------------------------------------------------------------------------------------------

  private async openSecureChannel(requestType: 0 | 1): Promise<void> {
    const { policy, timeoutMs, requestedLifetimeMs } = this.options;
    const clientNonce = this.secure ? randomBytes(policy.nonceLength) : null;
    const w = new Writer();
    writeNodeId(w, numericNodeId(SERVICES.openSecureChannel.request));
    writeRequestHeader(w, { authenticationToken: NULL_NODE_ID, requestHandle: 0, timeoutHintMs: timeoutMs });
    const securityMode = this.secure ? MESSAGE_SECURITY_MODE.SignAndEncrypt : MESSAGE_SECURITY_MODE.None;
    writeOpenSecureChannelRequest(w, { requestType, securityMode, clientNonce, requestedLifetimeMs });
    const requestId = this.newRequestId();
    const response = this.expect(requestId, timeoutMs, 'OpenSecureChannel');
    try {
      this.transport.send(this.asymmetricChunk(w.toBuffer(), requestId));
    } catch (err) {
      this.settle(requestId)?.reject(err as UaError);
    }
    const r = await response;
    readServiceResponse(r, SERVICES.openSecureChannel);
    this.install(readOpenSecureChannelResponse(r), clientNonce);
  }

  private install(token: ChannelSecurityToken, clientNonce: Buffer | null): void {
    const { policy } = this.options;
    if (token.channelId === 0 || (this.channelId !== 0 && token.channelId !== this.channelId)) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `OpenSecureChannel answered with channel id ${token.channelId}`);
    }
    if (token.revisedLifetimeMs === 0) throw uaError('IOC_ERR_OPCUA_PROTOCOL', 'OpenSecureChannel answered with a token lifetime of 0');
    let client: SymmetricKeys | undefined;
    let server: SymmetricKeys | undefined;
    if (this.secure && clientNonce) {
      const serverNonce = token.serverNonce;
      if (serverNonce?.length !== policy.nonceLength) {
        throw uaError('IOC_ERR_OPCUA_SECURITY', `server nonce of ${serverNonce?.length ?? 0} bytes, ${policy.nonceLength} expected`);
      }
      client = deriveKeys(policy, serverNonce, clientNonce);
      server = deriveKeys(policy, clientNonce, serverNonce);
    }
    this.channelId = token.channelId;
    this.previous = this.current;
    this.current = { id: token.tokenId, client, server };
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => this.renew(), Math.floor(token.revisedLifetimeMs * 0.75));
    this.renewTimer.unref();
  }

  private renew(): void {
    this.openSecureChannel(1).catch((err: unknown) => {
      if (!this.closedBy) this.destroy(asUaError(err, 'renewing the security token'));
    });
  }

  /** An OPN chunk: asymmetric security header, then signed with our key and encrypted with the server's. */
  private asymmetricChunk(body: Buffer, requestId: number): Buffer {
    const { policy, own } = this.options;
    const securityHeader = new Writer()
      .string(policy.uri)
      .byteString(this.secure ? own?.certificate : null)
      .byteString(this.secure ? this.serverThumbprint : null)
      .toBuffer();
    const sequenceHeader = this.sequenceHeader(requestId);
    if (!this.secure || !own || !this.serverKey) {
      const size = MESSAGE_HEADER + securityHeader.length + SEQUENCE_HEADER + body.length;
      return this.checkedSize(Buffer.concat([messageHeader('OPN', 'F', size, this.channelId), securityHeader, sequenceHeader, body]));
    }
    const serverKeyBytes = rsaKeyBytes(this.serverKey);
    const plainBlock = rsaPlainBlockSize(policy, serverKeyBytes);
    const extra = serverKeyBytes > 256 ? 1 : 0; // ExtraPaddingSize, for keys above 2048 bits
    const unpadded = SEQUENCE_HEADER + body.length + 1 + extra + rsaKeyBytes(own.privateKey);
    const paddingSize = (plainBlock - (unpadded % plainBlock)) % plainBlock;
    const encryptedLength = ((unpadded + paddingSize) / plainBlock) * serverKeyBytes;
    const header = messageHeader('OPN', 'F', MESSAGE_HEADER + securityHeader.length + encryptedLength, this.channelId);
    const padding = paddingBytes(paddingSize, extra === 1);
    const signature = asymmetricSign(policy, own.privateKey, Buffer.concat([header, securityHeader, sequenceHeader, body, padding]));
    const encrypted = rsaEncrypt(policy, this.serverKey, Buffer.concat([sequenceHeader, body, padding, signature]));
    return this.checkedSize(Buffer.concat([header, securityHeader, encrypted]));
  }

  private checkedSize(chunk: Buffer): Buffer {
    const limit = this.transport.limits.sendChunkSize;
    if (chunk.length > limit) throw uaError('IOC_ERR_OPCUA_ENCODE', `OpenSecureChannel request of ${chunk.length} bytes, the server accepts ${limit}`);
    return chunk;
  }

  // --- Symmetric messages ----------------------------------------------------------------------------------------

  private symmetricChunks(type: 'MSG' | 'CLO', body: Buffer, requestId: number): Buffer[] {
    const { sendChunkSize, serverMaxMessageSize, serverMaxChunkCount } = this.transport.limits;
    const maxBody = this.secure
      ? Math.floor((sendChunkSize - SYMMETRIC_HEADER) / AES_BLOCK) * AES_BLOCK - SEQUENCE_HEADER - SYMMETRIC_SIGNATURE_LENGTH - 1
      : sendChunkSize - SYMMETRIC_HEADER - SEQUENCE_HEADER;
    const count = Math.max(1, Math.ceil(body.length / maxBody));
    if ((serverMaxMessageSize > 0 && body.length > serverMaxMessageSize) || (serverMaxChunkCount > 0 && count > serverMaxChunkCount)) {
      throw uaError('IOC_ERR_OPCUA_ENCODE', `request of ${body.length} bytes in ${count} chunks exceeds the server's limits (${serverMaxMessageSize} bytes, ${serverMaxChunkCount} chunks)`);
    }
    const chunks: Buffer[] = [];
    for (let i = 0; i < count; i += 1) {
      const part = body.subarray(i * maxBody, (i + 1) * maxBody);
      chunks.push(this.symmetricChunk(type, i === count - 1 ? 'F' : 'C', part, requestId));
    }
    return chunks;
  }

  private symmetricChunk(type: 'MSG' | 'CLO', chunkType: 'C' | 'F', part: Buffer, requestId: number): Buffer {
    const token = this.current;
    if (!token) throw uaError('IOC_ERR_OPCUA_CLOSED', 'the channel is not open');
    const sequenceHeader = this.sequenceHeader(requestId);
    const keys = token.client;
    if (!keys) {
      const size = SYMMETRIC_HEADER + SEQUENCE_HEADER + part.length;
      return Buffer.concat([symmetricHeader(type, chunkType, size, this.channelId, token.id), sequenceHeader, part]);
    }
    const unpadded = SEQUENCE_HEADER + part.length + 1 + SYMMETRIC_SIGNATURE_LENGTH;
    const paddingSize = (AES_BLOCK - (unpadded % AES_BLOCK)) % AES_BLOCK;
    const header = symmetricHeader(type, chunkType, SYMMETRIC_HEADER + unpadded + paddingSize, this.channelId, token.id);
    const signed = Buffer.concat([header, sequenceHeader, part, paddingBytes(paddingSize, false)]);
    const signature = symmetricSign(keys, signed);
    return Buffer.concat([header, symmetricEncrypt(keys, Buffer.concat([signed.subarray(SYMMETRIC_HEADER), signature]))]);
  }

  private sequenceHeader(requestId: number): Buffer {
    const header = Buffer.allocUnsafe(SEQUENCE_HEADER);
    header.writeUInt32LE(this.nextSequenceNumber(), 0);
    header.writeUInt32LE(requestId, 4);
    return header;
  }

  // --- Receiving ---------------------------------------------------------------------------------------------------

  /** One chunk from the transport; a throw here drops the connection with that error. */
  private receive(chunk: Chunk): void {
    if (chunk.bytes.length < MESSAGE_HEADER) throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${chunk.type} chunk of ${chunk.bytes.length} bytes`);
    const channelId = chunk.bytes.readUInt32LE(8);
    if (this.channelId !== 0 && channelId !== this.channelId) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `chunk for secure channel ${channelId}, this one is ${this.channelId}`);
    }
    if (chunk.type === 'CLO') throw uaError('IOC_ERR_OPCUA_PROTOCOL', 'the server sent CloseSecureChannel');
    const plain = chunk.type === 'OPN' ? this.openPlaintext(chunk) : this.messagePlaintext(chunk.bytes);
    if (plain.length < SEQUENCE_HEADER) throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${chunk.type} chunk without a sequence header`);
    this.checkSequence(plain.readUInt32LE(0));
    this.deliver(chunk.chunkType, plain.readUInt32LE(4), plain.subarray(SEQUENCE_HEADER));
  }

  private openPlaintext(chunk: Chunk): Buffer {
    const { policy, own, serverCertificate } = this.options;
    if (chunk.chunkType !== 'F') throw uaError('IOC_ERR_OPCUA_PROTOCOL', 'OpenSecureChannel response in several chunks');
    const r = new Reader(chunk.bytes.subarray(MESSAGE_HEADER));
    const policyUri = r.string('SecurityPolicyUri');
    const senderCertificate = r.byteString('SenderCertificate');
    const receiverThumbprint = r.byteString('ReceiverCertificateThumbprint');
    const headerEnd = MESSAGE_HEADER + r.position;
    if (policyUri !== policy.uri) throw uaError('IOC_ERR_OPCUA_SECURITY', `OpenSecureChannel answered for policy ${String(policyUri)}, not ${policy.uri}`);
    if (!this.secure || !own || !this.serverKey || !serverCertificate) return chunk.bytes.subarray(headerEnd);
    if (!senderCertificate?.subarray(0, serverCertificate.length).equals(serverCertificate)) {
      throw uaError('IOC_ERR_OPCUA_SECURITY', "OpenSecureChannel answered with another certificate than the server's endpoint announced");
    }
    if (!receiverThumbprint?.equals(this.ownThumbprint ?? Buffer.alloc(0))) {
      throw uaError('IOC_ERR_OPCUA_SECURITY', 'OpenSecureChannel answer encrypted for another certificate than ours');
    }
    const decrypted = rsaDecrypt(policy, own.privateKey, chunk.bytes.subarray(headerEnd));
    const serverKey = this.serverKey;
    return verifiedPlaintext(chunk.bytes.subarray(0, headerEnd), decrypted, {
      signatureLength: rsaKeyBytes(serverKey),
      extraPadding: rsaKeyBytes(own.privateKey) > 256,
      verify: (data, signature) => asymmetricVerify(policy, serverKey, data, signature),
      what: 'OpenSecureChannel response',
    });
  }

  private messagePlaintext(bytes: Buffer): Buffer {
    if (bytes.length < SYMMETRIC_HEADER) throw uaError('IOC_ERR_OPCUA_PROTOCOL', `message chunk of ${bytes.length} bytes`);
    const tokenId = bytes.readUInt32LE(12);
    const token = tokenId === this.current?.id ? this.current : tokenId === this.previous?.id ? this.previous : undefined;
    if (!token) throw uaError('IOC_ERR_OPCUA_SECURITY', `message under unknown security token ${tokenId}`);
    if (token === this.current) this.previous = undefined; // the server has switched to the new token
    const keys = token.server;
    if (!keys) return bytes.subarray(SYMMETRIC_HEADER);
    return verifiedPlaintext(bytes.subarray(0, SYMMETRIC_HEADER), symmetricDecrypt(keys, bytes.subarray(SYMMETRIC_HEADER)), {
      signatureLength: SYMMETRIC_SIGNATURE_LENGTH,
      extraPadding: false,
      verify: (data, signature) => symmetricVerify(keys, data, signature),
      what: 'message chunk',
    });
  }

  private checkSequence(sequenceNumber: number): void {
    const last = this.receiveSequence;
    this.receiveSequence = sequenceNumber;
    if (last === undefined || sequenceNumber === last + 1) return;
    if ((last > SEQUENCE_WRAP_AFTER && sequenceNumber < 1024) || (last === 0xffff_ffff && sequenceNumber === 0)) return;
    throw uaError('IOC_ERR_OPCUA_SECURITY', `sequence number ${sequenceNumber} after ${last} (BadSequenceNumberInvalid): a chunk was lost, replayed or injected`);
  }

  private deliver(chunkType: 'C' | 'F' | 'A', requestId: number, part: Buffer): void {
    const pending = this.pending.get(requestId);
    if (!pending) return; // the answer to a request given up on (timed out)
    if (chunkType === 'A') {
      const r = new Reader(part);
      const code = r.u32();
      this.settle(requestId)?.reject(statusError(`${pending.service} aborted by the server`, code, r.string('abort reason')));
      return;
    }
    pending.parts.push(Buffer.from(part));
    pending.bytes += part.length;
    if (pending.bytes > CLIENT_LIMITS.maxMessageSize) {
      this.settle(requestId)?.reject(uaError('IOC_ERR_OPCUA_PROTOCOL', `${pending.service} response beyond ${CLIENT_LIMITS.maxMessageSize} bytes`));
      return;
    }
    if (chunkType === 'F') this.settle(requestId)?.resolve(new Reader(Buffer.concat(pending.parts)));
  }
}

interface VerifyOptions {
  readonly signatureLength: number;
  /** Whether an ExtraPaddingSize byte follows the padding (the receiver's RSA key is above 2048 bits). */
  readonly extraPadding: boolean;
  verify(data: Buffer, signature: Buffer): boolean;
  readonly what: string;
}

/**
 * The sequence header and body of a decrypted chunk, once its signature (over the headers and the decrypted bytes up
 * to the signature) is verified and the padding removed (OPC 10000-6 §6.7.2.5).
 */
export function verifiedPlaintext(headers: Buffer, decrypted: Buffer, options: VerifyOptions): Buffer {
  const { signatureLength, extraPadding, what } = options;
  const signatureStart = decrypted.length - signatureLength;
  if (signatureStart < SEQUENCE_HEADER + 1) throw uaError('IOC_ERR_OPCUA_SECURITY', `${what} of ${decrypted.length} bytes is too short for its signature`);
  const signed = Buffer.concat([headers, decrypted.subarray(0, signatureStart)]);
  if (!options.verify(signed, decrypted.subarray(signatureStart))) throw uaError('IOC_ERR_OPCUA_SECURITY', `${what}: signature invalid`);
  const last = decrypted.readUInt8(signatureStart - 1);
  const paddingSize = extraPadding ? last * 256 + decrypted.readUInt8(signatureStart - 2) : last;
  const bodyEnd = signatureStart - 1 - (extraPadding ? 1 : 0) - paddingSize;
  if (bodyEnd < SEQUENCE_HEADER) throw uaError('IOC_ERR_OPCUA_SECURITY', `${what}: padding of ${paddingSize} bytes exceeds the chunk`);
  return decrypted.subarray(0, bodyEnd);
}

/** PaddingSize, the padding (each byte = PaddingSize's low byte) and, for large keys, ExtraPaddingSize. */
export function paddingBytes(paddingSize: number, extra: boolean): Buffer {
  const bytes = Buffer.alloc(1 + paddingSize + (extra ? 1 : 0), paddingSize & 0xff);
  if (extra) bytes.writeUInt8(paddingSize >> 8, bytes.length - 1);
  return bytes;
}

function messageHeader(type: SecureMessageType, chunkType: 'C' | 'F', size: number, channelId: number): Buffer {
  const header = Buffer.allocUnsafe(MESSAGE_HEADER);
  header.write(type + chunkType, 0, 'latin1');
  header.writeUInt32LE(size, 4);
  header.writeUInt32LE(channelId, 8);
  return header;
}

function symmetricHeader(type: 'MSG' | 'CLO', chunkType: 'C' | 'F', size: number, channelId: number, tokenId: number): Buffer {
  const header = Buffer.allocUnsafe(SYMMETRIC_HEADER);
  messageHeader(type, chunkType, size, channelId).copy(header);
  header.writeUInt32LE(tokenId, MESSAGE_HEADER);
  return header;
}

function sha1(der: Buffer): Buffer {
  return createHash('sha1').update(der).digest();
}
