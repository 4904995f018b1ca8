// CRC-16/MODBUS written from the MODBUS over Serial Line V1.02 §6.2.2 procedure, bit by bit, apart from the edge
// driver's table-driven one: reflected polynomial 0xA001, preset 0xFFFF, no final xor, sent low byte first.

/** CRC-16/MODBUS of `bytes` (0 … 0xffff). "123456789" gives 0x4B37. */
export function modbusCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) {
      const lsb = crc & 1;
      crc >>>= 1;
      if (lsb) crc ^= 0xa001;
    }
  }
  return crc;
}

/** `pdu` + its CRC, low byte first: an RTU frame. */
export function appendModbusCrc(pdu: readonly number[] | Uint8Array): Buffer {
  const body = Buffer.from(pdu);
  const crc = modbusCrc(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, (crc >> 8) & 0xff])]);
}

/** True when the frame's last two bytes are the CRC of the rest, low byte first. */
export function hasValidModbusCrc(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = modbusCrc(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === (crc >> 8);
}
