// CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, no final xor; sent low byte first.
// Check value of ASCII "123456789": 0x4B37. Source: MODBUS over Serial Line V1.02 §6.2.2; CRC catalogue CRC_16_MODBUS.

const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n += 1) {
    let crc = n;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
}

/** CRC-16/MODBUS of `bytes` as a number (0 … 0xffff). */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) crc = (crc >>> 8) ^ (TABLE[(crc ^ b) & 0xff] ?? 0);
  return crc;
}

/** `bytes` followed by their CRC, low byte first: a complete RTU frame. */
export function withCrc(bytes: Uint8Array): Buffer {
  const frame = Buffer.alloc(bytes.length + 2);
  frame.set(bytes);
  frame.writeUInt16LE(crc16Modbus(bytes), bytes.length);
  return frame;
}

/** True when the last two bytes of `frame` are the CRC of the rest (low byte first). */
export function crcValid(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}
