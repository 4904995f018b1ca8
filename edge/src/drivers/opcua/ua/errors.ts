import { statusName } from './status-codes.js';

/** What went wrong, as a stable code: check `err.code`, never `instanceof` (see STYLE.md). */
export type UaErrorCode =
  /** A message that cannot be decoded: truncated, a length beyond the message, an unknown type, nesting too deep. */
  | 'IOC_ERR_OPCUA_DECODE'
  /** A value that cannot be encoded for sending (a malformed NodeId, a message beyond the server's limits). */
  | 'IOC_ERR_OPCUA_ENCODE'
  /** The server broke a rule of UA-TCP or of the secure conversation (message type, size, sequence number, request id). */
  | 'IOC_ERR_OPCUA_PROTOCOL'
  /** A signature or decryption check failed, or the server's answer does not match what the channel was opened with. */
  | 'IOC_ERR_OPCUA_SECURITY'
  /** The server answered with a Bad StatusCode (ERR message, abort chunk, ServiceFault, service result): see `statusCode`. */
  | 'IOC_ERR_OPCUA_STATUS'
  /** The TCP connection could not be made, or was reset or closed by the other side. */
  | 'IOC_ERR_OPCUA_CONNECT'
  /** No answer in time. */
  | 'IOC_ERR_OPCUA_TIMEOUT'
  /** The client was closed locally while the operation was under way. */
  | 'IOC_ERR_OPCUA_CLOSED'
  /** The server's certificate is not trusted here (it was filed in pkiDir/rejected/, or is still there). */
  | 'IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED'
  /** The server's certificate cannot be used: unreadable, expired, not yet valid, not RSA 2048–4096 bits. */
  | 'IOC_ERR_OPCUA_CERTIFICATE_INVALID'
  /** The server offers no endpoint or user token policy for the configured security mode, policy and identity. */
  | 'IOC_ERR_OPCUA_ENDPOINT'
  /** The gateway's own key or certificate in pkiDir/own cannot be read or created. */
  | 'IOC_ERR_OPCUA_PKI';

export interface UaError extends Error {
  readonly code: UaErrorCode;
  /** The OPC-UA StatusCode of an IOC_ERR_OPCUA_STATUS error (or of a protocol error the server reported). */
  readonly statusCode?: number;
  /** Its name, e.g. 'BadUserAccessDenied'. */
  readonly statusName?: string;
}

export function uaError(code: UaErrorCode, message: string, options: { statusCode?: number; cause?: unknown } = {}): UaError {
  const { statusCode, cause } = options;
  const err = new Error(message, cause === undefined ? undefined : { cause });
  return Object.assign(err, {
    code,
    ...(statusCode === undefined ? {} : { statusCode: statusCode >>> 0, statusName: statusName(statusCode) }),
  });
}

/** An IOC_ERR_OPCUA_STATUS error: `<what>: <StatusName> (0x…)[: reason]`. */
export function statusError(what: string, statusCode: number, reason?: string | null): UaError {
  const hex = `0x${(statusCode >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const suffix = reason ? `: ${reason}` : '';
  return uaError('IOC_ERR_OPCUA_STATUS', `${what}: ${statusName(statusCode)} (${hex})${suffix}`, { statusCode });
}

export function isUaError(err: unknown): err is UaError {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('IOC_ERR_OPCUA_');
}

/** `err` itself when it is one of ours, else wrapped as IOC_ERR_OPCUA_PROTOCOL naming `what` was under way. */
export function asUaError(err: unknown, what: string): UaError {
  if (isUaError(err)) return err;
  return uaError('IOC_ERR_OPCUA_PROTOCOL', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
