/**
 * The byte queue of mqtt-packet's parser, in place of its `bl` BufferListStream: the same methods
 * the parser calls (append, consume, length, readUInt8/16BE/32BE, slice, toString), without a
 * Duplex stream per connection (~0.7 KB) and without allocating a Buffer per byte read or consumed
 * (bl reads a byte by slicing it out). Reading past the end throws a RangeError, as bl does.
 */
export class ChunkList {
  /** Bytes held. */
  length = 0;
  private readonly bufs: Buffer[] = [];
  /** Bytes of bufs[0] already consumed. */
  private head = 0;

  append(buf: Buffer): this {
    if (buf.length > 0) {
      this.bufs.push(buf);
      this.length += buf.length;
    }
    return this;
  }

  consume(bytes: number): this {
    let n = Math.trunc(bytes);
    while (n > 0 && this.bufs.length > 0) {
      const available = this.bufs[0]!.length - this.head;
      if (n >= available) {
        n -= available;
        this.length -= available;
        this.bufs.shift();
        this.head = 0;
      } else {
        this.head += n;
        this.length -= n;
        n = 0;
      }
    }
    return this;
  }

  readUInt8(offset = 0): number {
    if (!(offset >= 0 && offset < this.length)) throw new RangeError(`offset ${offset} outside 0…${this.length - 1}`);
    let pos = this.head + offset;
    let i = 0;
    while (pos >= this.bufs[i]!.length) pos -= this.bufs[i++]!.length;
    return this.bufs[i]![pos]!;
  }

  readUInt16BE(offset = 0): number {
    return (this.readUInt8(offset) << 8) | this.readUInt8(offset + 1);
  }

  readUInt32BE(offset = 0): number {
    return this.readUInt8(offset) * 0x1000000 + ((this.readUInt8(offset + 1) << 16) | (this.readUInt8(offset + 2) << 8) | this.readUInt8(offset + 3));
  }

  /** Bytes [start, end): a view into one chunk when they lie in one, else a copy. bl's clamping rules. */
  slice(start = 0, end = this.length): Buffer {
    const from = Math.max(0, start < 0 ? start + this.length : start);
    const to = Math.min(this.length, end < 0 ? end + this.length : end);
    if (from >= to) return Buffer.alloc(0);
    let pos = this.head + from;
    let i = 0;
    while (pos >= this.bufs[i]!.length) pos -= this.bufs[i++]!.length;
    const len = to - from;
    const first = this.bufs[i]!;
    if (pos + len <= first.length) return first.subarray(pos, pos + len);
    const out = Buffer.allocUnsafe(len);
    let written = 0;
    for (; written < len; i++, pos = 0) {
      const chunk = this.bufs[i]!;
      const n = Math.min(chunk.length - pos, len - written);
      chunk.copy(out, written, pos, pos + n);
      written += n;
    }
    return out;
  }

  toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    return this.slice(start, end).toString(encoding);
  }
}
