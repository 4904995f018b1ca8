// Stable error codes of the Modbus RTU master (checked via err.code, never instanceof), and exception names.

export const MODBUS_ERRORS = {
  /** No complete response within the timeout: device absent, unpowered, wrong unit id, baud rate or parity, A/B swapped. */
  timeout: 'IOC_ERR_MODBUS_TIMEOUT',
  /** A response whose CRC did not match: noise on the bus, missing termination, or two devices with one unit id. */
  crc: 'IOC_ERR_MODBUS_CRC',
  /** The device answered with an exception response (function | 0x80); `exceptionCode` says why. */
  exception: 'IOC_ERR_MODBUS_EXCEPTION',
  /** A transaction was started while another was in progress (a bug of the caller). */
  busy: 'IOC_ERR_MODBUS_BUSY',
  /** The transaction was abandoned because the driver stopped. */
  stopped: 'IOC_ERR_MODBUS_STOPPED',
} as const;

export type ModbusErrorCode = (typeof MODBUS_ERRORS)[keyof typeof MODBUS_ERRORS];

export interface ModbusError extends Error {
  readonly code: ModbusErrorCode;
  /** Exception code (1 … 255) of an IOC_ERR_MODBUS_EXCEPTION. */
  readonly exceptionCode?: number;
}

export function modbusError(code: ModbusErrorCode, message: string, exceptionCode?: number): ModbusError {
  return Object.assign(new Error(message), exceptionCode === undefined ? { code } : { code, exceptionCode });
}

/** Exception codes of MODBUS Application Protocol V1.1b3 §7. */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'slave device failure',
  0x05: 'acknowledge',
  0x06: 'slave device busy',
  0x08: 'memory parity error',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

/** `illegal data address` for 2; `unknown exception` for codes the standard does not define. */
export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? 'unknown exception';
}

/** Two hex digits, as manuals write exception codes: 2 → `02`. */
export function exceptionHex(code: number): string {
  return code.toString(16).toUpperCase().padStart(2, '0');
}
