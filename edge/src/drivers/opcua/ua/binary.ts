// OPC-UA binary encoding of the built-in types (OPC 10000-6 §5.2.2): little-endian, lengths as Int32 with -1 for null.
// The Reader never trusts a length: every one is checked against the bytes left before anything is allocated, so a
// hostile or corrupted message fails with IOC_ERR_OPCUA_DECODE instead of allocating gigabytes or reading past its end.
import { uaError, type UaError } from './errors.js';

/** A 64-bit integer as two UInt32 words `[high, low]` (the shape node-opcua used, kept for readings.ts). */
export type Int64Words = readonly [high: number, low: number];

/** 100 ns ticks between 1601-01-01 (the OPC-UA epoch) and 1970-01-01. */
const EPOCH_DIFF_TICKS = 116_444_736_000_000_000n;
const TICKS_PER_MS = 10_000n;
const MAX_INT64 = 0x7fff_ffff_ffff_ffffn;

export function decodeError(message: string): UaError {
  return uaError('IOC_ERR_OPCUA_DECODE', message);
}

export class Reader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  /** Advances over n bytes and returns where they start; throws if fewer are left. */
  private take(n: number, what: string): number {
    if (n > this.remaining) {
      throw decodeError(`truncated ${what}: ${n} bytes needed at offset ${this.offset}, ${this.remaining} left`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1, 'Byte'));
  }
  i8(): number {
    return this.buf.readInt8(this.take(1, 'SByte'));
  }
  bool(): boolean {
    return this.u8() !== 0;
  }
  u16(): number {
    return this.buf.readUInt16LE(this.take(2, 'UInt16'));
  }
  i16(): number {
    return this.buf.readInt16LE(this.take(2, 'Int16'));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4, 'UInt32'));
  }
  i32(): number {
    return this.buf.readInt32LE(this.take(4, 'Int32'));
  }
  /** Int64 or UInt64 as `[high, low]` unsigned words. */
  words64(): Int64Words {
    const at = this.take(8, 'Int64');
    return [this.buf.readUInt32LE(at + 4), this.buf.readUInt32LE(at)];
  }
  f32(): number {
    return this.buf.readFloatLE(this.take(4, 'Float'));
  }
  f64(): number {
    return this.buf.readDoubleLE(this.take(8, 'Double'));
  }

  /** A length prefix: -1 (null) or 0..remaining/minBytes; anything else is an error naming `what`. */
  length(what: string, minBytesEach = 1): number {
    const n = this.i32();
    if (n === -1) return -1;
    if (n < -1) throw decodeError(`${what}: negative length ${n}`);
    if (n * minBytesEach > this.remaining) {
      throw decodeError(`${what}: length ${n} exceeds the ${this.remaining} bytes left in the message`);
    }
    return n;
  }

  /** Copies n raw bytes (a copy: the message buffer is not retained). */
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.take(n, what);
    return Buffer.from(this.buf.subarray(at, at + n));
  }

  skip(n: number, what = 'bytes'): void {
    this.take(n, what);
  }

  string(what = 'String'): string | null {
    const n = this.length(what);
    if (n < 0) return null;
    const at = this.take(n, what);
    return this.buf.toString('utf8', at, at + n);
  }

  byteString(what = 'ByteString'): Buffer | null {
    const n = this.length(what);
    return n < 0 ? null : this.bytes(n, what);
  }

  /** DateTime as epoch ms; undefined for the null DateTime (≤ 1601-01-01) and for DateTime.MaxValue. */
  dateTime(): number | undefined {
    const ticks = this.buf.readBigInt64LE(this.take(8, 'DateTime'));
    if (ticks <= 0n || ticks === MAX_INT64) return undefined;
    return Number((ticks - EPOCH_DIFF_TICKS) / TICKS_PER_MS);
  }

  /** Guid in its string form `72962B91-FA75-4AE6-8D28-B404DC7DAF63` (OPC 10000-6 §5.1.3). */
  guid(): string {
    const at = this.take(16, 'Guid');
    const b = this.buf;
    const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
    const tail = b.toString('hex', at + 8, at + 16).toUpperCase();
    return `${hex(b.readUInt32LE(at), 8)}-${hex(b.readUInt16LE(at + 4), 4)}-${hex(b.readUInt16LE(at + 6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
  }

  /** An array of `read()` items; a null array (-1) is empty. `minBytesEach` bounds the count before any allocation. */
  array<T>(what: string, minBytesEach: number, read: () => T): T[] {
    const n = this.length(what, minBytesEach);
    const items: T[] = [];
    for (let i = 0; i < n; i += 1) items.push(read());
    return items;
  }

  /** Everything left. */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }
}

export class Writer {
  private buf: Buffer;
  private length = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Reserves n bytes and returns where they start. */
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  get size(): number {
    return this.length;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.buf.writeUInt8(v, at);
    return this;
  }
  i8(v: number): this {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  u16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }
  i16(v: number): this {
    const at = this.room(2);
    this.buf.writeInt16LE(v, at);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  i32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32LE(v, at);
    return this;
  }
  words64([high, low]: Int64Words): this {
    const at = this.room(8);
    this.buf.writeUInt32LE(low >>> 0, at);
    this.buf.writeUInt32LE(high >>> 0, at + 4);
    return this;
  }
  f32(v: number): this {
    const at = this.room(4);
    this.buf.writeFloatLE(v, at);
    return this;
  }
  f64(v: number): this {
    const at = this.room(8);
    this.buf.writeDoubleLE(v, at);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }

  string(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.i32(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.i32(n);
    const at = this.room(n);
    this.buf.write(s, at, n, 'utf8');
    return this;
  }

  byteString(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.i32(-1);
    return this.i32(b.length).bytes(b);
  }

  /** Epoch ms as a DateTime; undefined writes the null DateTime. */
  dateTime(ms: number | undefined): this {
    const ticks = ms === undefined ? 0n : BigInt(Math.trunc(ms)) * TICKS_PER_MS + EPOCH_DIFF_TICKS;
    const at = this.room(8);
    this.buf.writeBigInt64LE(ticks < 0n ? 0n : ticks, at);
    return this;
  }

  guid(text: string): this {
    const hex = text.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw uaError('IOC_ERR_OPCUA_ENCODE', `${JSON.stringify(text)} is not a Guid`);
    const at = this.room(16);
    this.buf.writeUInt32LE(Number.parseInt(hex.slice(0, 8), 16), at);
    this.buf.writeUInt16LE(Number.parseInt(hex.slice(8, 12), 16), at + 4);
    this.buf.writeUInt16LE(Number.parseInt(hex.slice(12, 16), 16), at + 6);
    this.buf.write(hex.slice(16), at + 8, 8, 'hex');
    return this;
  }

  /** An array; undefined or null writes the null array (-1). */
  array<T>(items: readonly T[] | null | undefined, write: (item: T) => void): this {
    if (items === null || items === undefined) return this.i32(-1);
    this.i32(items.length);
    for (const item of items) write(item);
    return this;
  }

  /** The bytes written so far (a view: do not write after taking it). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
