// Engineering values → register words, for the simulated slaves' register maps. Each register is a big-endian
// 16-bit word; a 32-bit value spans two registers, high word first ('big') or low word first ('little').

export type ModbusValueType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
export type ModbusWordOrder = 'big' | 'little';

/** A value fixed, or computed from the simulated time at every request. */
export type ModbusRegisterValue = number | ((now: Date) => number);

/** One value in a slave's register map. */
export interface ModbusRegisterDef {
  /** 0-based protocol address of the (first) register. */
  address: number;
  type: ModbusValueType;
  /** 32-bit types only. Default 'big' (high word first). */
  wordOrder?: ModbusWordOrder;
  /**
   * Engineering value (e.g. 25.3 °C); the register holds (value − offset) / scale, rounded to an integer for the
   * integer types and clamped to the type's range.
   */
  value: ModbusRegisterValue;
  /** Default 1. */
  scale?: number;
  /** Default 0. */
  offset?: number;
}

const RANGES: Record<Exclude<ModbusValueType, 'float32'>, readonly [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** Registers a value of `type` occupies. */
export function wordsOf(type: ModbusValueType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** The register words of `def` at time `now`, in address order. */
export function encodeRegisterDef(def: ModbusRegisterDef, now: Date): number[] {
  const value = typeof def.value === 'function' ? def.value(now) : def.value;
  const raw = (value - (def.offset ?? 0)) / (def.scale ?? 1);
  return encodeRaw(raw, def.type, def.wordOrder ?? 'big');
}

/** The words carrying `raw` as `type`: two's complement for signed types, IEEE 754 single for float32. */
export function encodeRaw(raw: number, type: ModbusValueType, wordOrder: ModbusWordOrder): number[] {
  let high: number;
  let low: number;
  if (type === 'float32') {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, raw, false);
    high = view.getUint16(0, false);
    low = view.getUint16(2, false);
  } else {
    const [min, max] = RANGES[type];
    const clamped = Number.isNaN(raw) ? 0 : Math.min(max, Math.max(min, Math.round(raw)));
    const unsigned = clamped < 0 ? clamped + (wordsOf(type) === 1 ? 0x10000 : 0x100000000) : clamped;
    if (wordsOf(type) === 1) return [unsigned];
    high = Math.floor(unsigned / 0x10000);
    low = unsigned % 0x10000;
  }
  return wordOrder === 'big' ? [high, low] : [low, high];
}
