// UA-TCP (OPC 10000-6 §7.1): one TCP connection, the Hello/Acknowledge handshake that fixes the chunk sizes, then
// whole message chunks in both directions. Framing only: what a chunk means is the secure channel's business.
import { connect, type Socket } from 'node:net';
import { Reader, Writer } from './binary.js';
import { asUaError, statusError, uaError, type UaError } from './errors.js';

/** What the gateway proposes in its Hello, and enforces on what it receives. */
export const CLIENT_LIMITS = {
  /** Largest chunk the gateway accepts, bytes. */
  receiveBufferSize: 65_536,
  /** Largest chunk the gateway sends, bytes (the server may ask for smaller). */
  sendBufferSize: 65_536,
  /** Largest message (all chunks of a response), bytes: 5000 monitored items take ~250 kB. */
  maxMessageSize: 4 * 1024 * 1024,
  /** 0: bounded by maxMessageSize only. */
  maxChunkCount: 0,
} as const;

/** Smallest buffer a peer may announce (OPC 10000-6 §7.1.2.3). */
const MIN_BUFFER_SIZE = 8192;
/** Bound of the EndpointUrl of a Hello (OPC 10000-6 §7.1.2.3). */
const MAX_URL_BYTES = 4096;
const HEADER_SIZE = 8;

/** What the server answered in its Acknowledge: the sizes both sides keep to. */
export interface Negotiated {
  /** Largest chunk the gateway may send: the server's ReceiveBufferSize, at most ours. */
  readonly sendChunkSize: number;
  /** Largest chunk the server will send: its SendBufferSize, at most our ReceiveBufferSize. */
  readonly receiveChunkSize: number;
  /** Largest message the server accepts, bytes; 0 for no limit. */
  readonly serverMaxMessageSize: number;
  /** Most chunks per message the server accepts; 0 for no limit. */
  readonly serverMaxChunkCount: number;
}

export type SecureMessageType = 'MSG' | 'OPN' | 'CLO';

/** One received chunk of a secure-conversation message. */
export interface Chunk {
  readonly type: SecureMessageType;
  /** 'C' intermediate, 'F' final, 'A' abort. */
  readonly chunkType: 'C' | 'F' | 'A';
  /** The whole chunk, its 8-byte header included. */
  readonly bytes: Buffer;
}

export interface TransportHandlers {
  onChunk(chunk: Chunk): void;
  /** Once, when the connection ends after open() resolved: undefined for a local close, else why. */
  onClose(err: UaError | undefined): void;
}

/** host, port and the URL itself of `opc.tcp://host[:port][/path]` (port 4840 by default). */
export function parseEndpointUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw uaError('IOC_ERR_OPCUA_CONNECT', `${JSON.stringify(url)} is not an opc.tcp:// URL`);
  }
  if (parsed.protocol !== 'opc.tcp:' || parsed.hostname === '') throw uaError('IOC_ERR_OPCUA_CONNECT', `${JSON.stringify(url)} is not an opc.tcp:// URL`);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: parsed.port === '' ? 4840 : Number(parsed.port) };
}

export class UaTcpConnection {
  private socket: Socket | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private negotiated: Negotiated | undefined;
  private handshake: { resolve(n: Negotiated): void; reject(err: UaError): void } | undefined;
  private ended = false;

  constructor(
    private readonly url: string,
    private readonly handlers: TransportHandlers,
  ) {}

  get limits(): Negotiated {
    if (!this.negotiated) throw uaError('IOC_ERR_OPCUA_PROTOCOL', 'connection used before its Acknowledge');
    return this.negotiated;
  }

  /** Connects and exchanges Hello/Acknowledge; rejects with the socket error, the server's ERR, or on destroy(). */
  open(): Promise<Negotiated> {
    let hello: Buffer;
    let target: { host: string; port: number };
    try {
      target = parseEndpointUrl(this.url);
      hello = this.hello();
    } catch (err) {
      return Promise.reject(asUaError(err, 'Hello'));
    }
    const { host, port } = target;
    return new Promise<Negotiated>((resolve, reject) => {
      this.handshake = { resolve, reject };
      const socket = connect({ host, port, noDelay: true });
      this.socket = socket;
      socket.on('connect', () => socket.write(hello));
      socket.on('data', (data: Buffer) => this.receive(data));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        this.fail(uaError('IOC_ERR_OPCUA_CONNECT', `${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
      });
      socket.on('close', () => this.fail(uaError('IOC_ERR_OPCUA_CONNECT', `${host}:${port}: connection closed by the server`)));
    });
  }

  send(chunk: Buffer): void {
    if (this.ended || !this.socket) throw uaError('IOC_ERR_OPCUA_CLOSED', 'connection already closed');
    this.socket.write(chunk);
  }

  /** Ends the connection gracefully (FIN after what was written); no onClose. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.handshake?.reject(uaError('IOC_ERR_OPCUA_CLOSED', 'connection closed locally'));
    this.handshake = undefined;
    const socket = this.socket;
    socket?.end();
    setTimeout(() => socket?.destroy(), 1000).unref();
  }

  /** Drops the connection at once; onClose(err) when given and open() had resolved. */
  destroy(err?: UaError): void {
    if (err) this.fail(err);
    else {
      this.end();
      this.socket?.destroy();
    }
  }

  private fail(err: UaError): void {
    if (this.ended) return;
    this.ended = true;
    this.socket?.destroy();
    if (this.handshake) {
      this.handshake.reject(err);
      this.handshake = undefined;
    } else {
      this.handlers.onClose(err);
    }
  }

  private hello(): Buffer {
    const url = Buffer.from(this.url, 'utf8');
    if (url.length > MAX_URL_BYTES) throw uaError('IOC_ERR_OPCUA_ENCODE', `endpoint URL longer than ${MAX_URL_BYTES} bytes`);
    const w = new Writer(64 + url.length);
    w.bytes(Buffer.from('HELF', 'ascii')).u32(0);
    w.u32(0); // ProtocolVersion
    w.u32(CLIENT_LIMITS.receiveBufferSize).u32(CLIENT_LIMITS.sendBufferSize);
    w.u32(CLIENT_LIMITS.maxMessageSize).u32(CLIENT_LIMITS.maxChunkCount);
    w.byteString(url);
    const bytes = w.toBuffer();
    bytes.writeUInt32LE(bytes.length, 4);
    return bytes;
  }

  private receive(data: Buffer): void {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    try {
      while (!this.ended && this.pending.length >= HEADER_SIZE) {
        const size = this.pending.readUInt32LE(4);
        this.checkSize(size);
        if (this.pending.length < size) return;
        const chunk = this.pending.subarray(0, size);
        this.pending = this.pending.subarray(size);
        this.dispatch(chunk);
      }
    } catch (err) {
      this.fail(asUaError(err, 'receiving'));
    }
  }

  private checkSize(size: number): void {
    const limit = this.negotiated?.receiveChunkSize ?? CLIENT_LIMITS.receiveBufferSize;
    const type = this.pending.toString('latin1', 0, 3);
    if (size < HEADER_SIZE || size > limit) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${JSON.stringify(type)} message of ${size} bytes (allowed: ${HEADER_SIZE}..${limit})`);
    }
  }

  private dispatch(chunk: Buffer): void {
    const type = chunk.toString('latin1', 0, 3);
    const chunkType = chunk.toString('latin1', 3, 4);
    if (type === 'ERR') throw this.serverError(chunk);
    if (type === 'ACK' && this.handshake && chunkType === 'F') return this.acknowledged(chunk);
    if ((type === 'MSG' || type === 'OPN' || type === 'CLO') && this.negotiated) {
      if (chunkType !== 'C' && chunkType !== 'F' && chunkType !== 'A') {
        throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${type} chunk of unknown type ${JSON.stringify(chunkType)}`);
      }
      this.handlers.onChunk({ type, chunkType, bytes: chunk });
      return;
    }
    throw uaError('IOC_ERR_OPCUA_PROTOCOL', `unexpected ${JSON.stringify(type + chunkType)} message${this.negotiated ? '' : ' before the Acknowledge'}`);
  }

  private serverError(chunk: Buffer): UaError {
    const r = new Reader(chunk.subarray(HEADER_SIZE));
    const code = r.u32();
    const reason = r.remaining >= 4 ? r.string('ERR reason') : null;
    return statusError('the server closed the connection', code, reason);
  }

  private acknowledged(chunk: Buffer): void {
    const r = new Reader(chunk.subarray(HEADER_SIZE));
    r.u32(); // ProtocolVersion
    const receiveBufferSize = r.u32();
    const sendBufferSize = r.u32();
    const maxMessageSize = r.u32();
    const maxChunkCount = r.u32();
    if (receiveBufferSize < MIN_BUFFER_SIZE || sendBufferSize < MIN_BUFFER_SIZE) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `Acknowledge with buffers below ${MIN_BUFFER_SIZE} bytes (${receiveBufferSize}, ${sendBufferSize})`);
    }
    if (sendBufferSize > CLIENT_LIMITS.receiveBufferSize) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `the server would send chunks of ${sendBufferSize} bytes, above the ${CLIENT_LIMITS.receiveBufferSize} asked`);
    }
    this.negotiated = {
      sendChunkSize: Math.min(receiveBufferSize, CLIENT_LIMITS.sendBufferSize),
      receiveChunkSize: sendBufferSize,
      serverMaxMessageSize: maxMessageSize,
      serverMaxChunkCount: maxChunkCount,
    };
    const handshake = this.handshake;
    this.handshake = undefined;
    handshake?.resolve(this.negotiated);
  }
}
