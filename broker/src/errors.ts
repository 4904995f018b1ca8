/** Stable error codes of the broker; callers check `err.code`, never `instanceof`. */
export const BrokerErrorCode = {
  /** An option is out of range or of the wrong type; the message names its path. */
  CONFIG: 'IOC_ERR_BROKER_CONFIG',
  /** A listener could not bind (port in use, permission) or a TLS file could not be read. */
  LISTEN: 'IOC_ERR_BROKER_LISTEN',
  /** The Redis of cluster mode is unreachable or refused a command during start. */
  CLUSTER: 'IOC_ERR_BROKER_CLUSTER',
  /** A PUBLISH, SUBSCRIBE or CONNECT was refused by a rule or a limit (the reason is in `reason`). */
  REFUSED: 'IOC_ERR_BROKER_REFUSED',
  /** An MQTT packet declared a size above the limit; the connection is closed before buffering it. */
  PACKET_TOO_LARGE: 'IOC_ERR_BROKER_PACKET_TOO_LARGE',
  /** The bytes received are not MQTT (the parser failed); the connection is closed. */
  MALFORMED: 'IOC_ERR_BROKER_MALFORMED',
} as const;
export type BrokerErrorCode = (typeof BrokerErrorCode)[keyof typeof BrokerErrorCode];

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}
