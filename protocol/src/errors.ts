/**
 * Stable error codes of the wire contract, and the Result type every decoder returns.
 *
 * Callers branch on `error.code` (a string that never changes meaning within v1), never on `instanceof`:
 * two copies of this package in one workspace would break `instanceof`.
 */

/**
 * Every code a protocol function can report. Keys equal values, so `ErrorCode.IOC_ERR_TOPIC === 'IOC_ERR_TOPIC'`.
 * Codes are only ever added, never renamed or reused.
 */
export const ErrorCode = Object.freeze({
  /** Topic does not match `ioc/v1/{site}/{gateway}/{kind}` exactly, or an id in it is invalid. */
  IOC_ERR_TOPIC: 'IOC_ERR_TOPIC',
  /** Payload is larger than MAX_PAYLOAD_BYTES (UTF-8 bytes); nothing else was looked at. */
  IOC_ERR_PAYLOAD_TOO_LARGE: 'IOC_ERR_PAYLOAD_TOO_LARGE',
  /** Payload is not well-formed UTF-8 (or, for string input, holds a lone UTF-16 surrogate). */
  IOC_ERR_PAYLOAD_ENCODING: 'IOC_ERR_PAYLOAD_ENCODING',
  /** Payload is UTF-8 but not valid JSON (includes the empty payload). */
  IOC_ERR_PAYLOAD_JSON: 'IOC_ERR_PAYLOAD_JSON',
  /** Payload is JSON but its shape, a type or a range is wrong; `path` names the first offending field. */
  IOC_ERR_PAYLOAD_SCHEMA: 'IOC_ERR_PAYLOAD_SCHEMA',
  /** A reading names a metric that is not in the metric catalogue; `path` is `/readings/N/metric`. */
  IOC_ERR_UNKNOWN_METRIC: 'IOC_ERR_UNKNOWN_METRIC',
});

/** Union of the stable error code strings, e.g. `'IOC_ERR_TOPIC'`. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codeSet: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` is one of the ErrorCode strings (use it on `err.code` of anything caught). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && codeSet.has(value);
}

/** What was wrong with a topic or payload: plain data, safe to log and to put in a dead letter. */
export interface ProtocolError {
  /** Stable code; branch on this. */
  readonly code: ErrorCode;
  /** Human-readable, English, starts with the path; may quote a short excerpt of the input. Not stable. */
  readonly message: string;
  /**
   * Where the problem is. Payloads: a JSON pointer (`/readings/3/ts`), `''` for the payload as a whole.
   * Topics: the segment name (`prefix`, `version`, `site`, `gateway`, `kind`, `cmd`), `''` for the whole topic.
   */
  readonly path: string;
}

/** Outcome of a function that does not throw: either the value or the first error found. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ProtocolError };

/** Builds a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failed Result from its three parts. */
export function fail<T = never>(code: ErrorCode, path: string, message: string): Result<T> {
  return { ok: false, error: { code, path, message } };
}

/**
 * A ProtocolError as an exception, for callers that prefer `throw`. Carries the same `code` and `path`.
 * Test `err.code`, not `instanceof IocError`.
 */
export class IocError extends Error {
  /** Stable code, as in ProtocolError. */
  readonly code: ErrorCode;
  /** Where the problem is, as in ProtocolError. */
  readonly path: string;

  /** Wraps `error`; `options.cause` keeps the underlying exception (e.g. a SyntaxError), if any. */
  constructor(error: ProtocolError, options?: ErrorOptions) {
    super(error.message, options);
    this.name = 'IocError';
    this.code = error.code;
    this.path = error.path;
  }
}

/** Throws `error` as an IocError. Never returns. */
export function throwProtocolError(error: ProtocolError): never {
  throw new IocError(error);
}

/** Returns the value of an ok Result, or throws its error as an IocError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new IocError(result.error);
}
