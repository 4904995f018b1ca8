// Register words → numbers. Each register is a big-endian 16-bit word (the Modbus data model); a 32-bit value spans
// two consecutive registers, high word first ('big', ABCD) unless the device sends the low word first ('little', CDAB).

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];
export type WordOrder = 'big' | 'little';

/** Registers a value of `type` occupies: 1 or 2. */
export function registerCount(type: RegisterType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/**
 * The raw value of `type` in `words` (unsigned 16-bit numbers, at least registerCount(type) of them). float32 is
 * returned as the shortest decimal that is the same float32 (7.2, not 7.199999809265137); it may be NaN or ±Infinity.
 */
export function decodeRegisters(words: readonly number[], type: RegisterType, wordOrder: WordOrder): number {
  const [first = 0, second = 0] = words;
  const buf = Buffer.alloc(4);
  if (registerCount(type) === 1) {
    buf.writeUInt16BE(first, 0);
    return type === 'int16' ? buf.readInt16BE(0) : buf.readUInt16BE(0);
  }
  const [high, low] = wordOrder === 'big' ? [first, second] : [second, first];
  buf.writeUInt16BE(high, 0);
  buf.writeUInt16BE(low, 2);
  if (type === 'int32') return buf.readInt32BE(0);
  if (type === 'uint32') return buf.readUInt32BE(0);
  return shortestFloat32(buf.readFloatBE(0));
}

/** The shortest decimal whose float32 is `f` (itself a float32 widened to a double); 9 digits always suffice. */
function shortestFloat32(f: number): number {
  if (!Number.isFinite(f)) return f;
  for (let digits = 1; digits <= 9; digits += 1) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/**
 * Engineering value = raw · scale + offset, rounded to 15 significant digits: that removes the binary noise of the
 * multiplication (253 · 0.1 = 25.300000000000004 → 25.3) and keeps every digit a register can carry.
 */
export function toEngineering(raw: number, scale: number, offset: number): number {
  const value = raw * scale + offset;
  return Number.isFinite(value) ? Number(value.toPrecision(15)) : value;
}
