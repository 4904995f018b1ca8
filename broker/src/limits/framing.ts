import type { InternalClient, MqttParser } from '../aedes-internals.js';
import { BrokerError, BrokerErrorCode } from '../errors.js';
import { ChunkList } from './chunk-list.js';

/** Until CONNECT is accepted a packet may be at most this long: a CONNECT with a small will fits easily. */
export const PRE_CONNECT_MAX_BYTES = 16 * 1024;

interface LimitedParser extends MqttParser {
  iocMaxBytes: number;
  _list: unknown;
  _states: string[];
}

type ParserProto = Pick<MqttParser, '_parseLength' | '_emitError'>;
let proto: ParserProto | undefined;
/** The parser's state names, the same for every parser: one array for all. */
let states: string[] | undefined;

/**
 * Refuses a packet whose remaining length exceeds the limit as soon as its length prefix is read,
 * before any of it is buffered (mqtt-packet would otherwise buffer up to 256 MB per connection).
 */
function limitedParseLength(this: LimitedParser): boolean {
  if (!proto!._parseLength.call(this)) return false;
  const connected = this.settings.protocolVersion !== undefined;
  const max = connected ? this.iocMaxBytes : Math.min(PRE_CONNECT_MAX_BYTES, this.iocMaxBytes);
  if (this.packet.length <= max) return true;
  this._emitError(new BrokerError(BrokerErrorCode.PACKET_TOO_LARGE, `packet of ${this.packet.length} bytes over the ${max}-byte limit`));
  return false;
}

/** Marks every parser error as malformed input, so the broker can count it by reason. */
function taggedEmitError(this: LimitedParser, err: Error & { code?: string }): void {
  err.code ??= BrokerErrorCode.MALFORMED;
  proto!._emitError.call(this, err);
}

/**
 * Applies the packet-size limit and error tagging to a new connection's parser (before it has read
 * anything), and gives it a lighter byte queue. Shared functions installed as own properties: no
 * closure per connection.
 */
export function limitParser(parser: MqttParser, maxPacketBytes: number): void {
  proto ??= Object.getPrototypeOf(parser) as ParserProto;
  const p = parser as LimitedParser;
  states ??= p._states;
  p._states = states;
  p._list = new ChunkList();
  p.iocMaxBytes = maxPacketBytes;
  p._parseLength = limitedParseLength;
  p._emitError = taggedEmitError;
}

function closeOwner(this: { client?: { close(): void } }): void {
  this.client?.close();
}

/**
 * aedes watches each socket with stream.finished(): seven closures and listeners per connection
 * (~0.5 KB). One shared 'close' listener does the same job (a socket always emits 'close', however it
 * ends; aedes sets `socket.client`). Call right after aedes.handle().
 */
export function lightenClient(client: InternalClient): void {
  client._eos();
  client._eos = () => {};
  client.conn.once('close', closeOwner);
}

/**
 * After CONNECT, mqtt-packet keeps the whole CONNECT packet (password included) as its settings for
 * the connection's lifetime; keep only what it reads later.
 */
export function forgetConnect(parser: MqttParser): void {
  const { protocolVersion, bridgeMode } = parser.settings;
  parser.settings = bridgeMode === undefined ? { protocolVersion } : { protocolVersion, bridgeMode };
}
