/**
 * Stable codes of TelemetryStore errors; check `err.code` (or `err.retryable`), never `instanceof`. Sink errors are
 * classified the way telegraf's influxdb output does it: bad data is dead-lettered, a too-large batch is split,
 * anything else is retried with backoff (safe because writes are idempotent).
 */
export const StoreErrorCode = {
  /** The store refused the data itself (invalid reading, type conflict, outside retention): dead-letter it. */
  BAD_DATA: 'IOC_ERR_STORE_BAD_DATA',
  /** The request body was too large: split the batch and write the halves. */
  TOO_LARGE: 'IOC_ERR_STORE_TOO_LARGE',
  /** Unreachable, timed out, overloaded (429/5xx) or misconfigured (auth, missing database): retry later. */
  UNAVAILABLE: 'IOC_ERR_STORE_UNAVAILABLE',
  /** The query was refused as invalid: fix the query, do not retry. */
  BAD_QUERY: 'IOC_ERR_STORE_BAD_QUERY',
  /** The store was closed before or during the call. */
  CLOSED: 'IOC_ERR_STORE_CLOSED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** One reading a store refused before sending anything, by its index in the batch given to write(). */
export interface RejectedReading {
  index: number;
  /** e.g. `value: must be a finite number (got NaN)` */
  reason: string;
}

/** What every TelemetryStore method rejects with. */
export interface StoreError extends Error {
  code: StoreErrorCode;
  /** True only for UNAVAILABLE: the same call may succeed later. */
  retryable: boolean;
  /** HTTP status of the store's answer, when there was one. */
  status?: number;
  /** For BAD_DATA raised by validation: every refused reading (the whole batch was refused, nothing was sent). */
  rejected?: RejectedReading[];
}

export function storeError(
  code: StoreErrorCode,
  message: string,
  extra: { cause?: unknown; status?: number; rejected?: RejectedReading[] } = {},
): StoreError {
  const { cause, ...props } = extra;
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.name = 'StoreError';
  return Object.assign(err, { code, retryable: code === StoreErrorCode.UNAVAILABLE }, props);
}

/** True for errors raised by a TelemetryStore (judged by code, so it works across package copies). */
export function isStoreError(err: unknown): err is StoreError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(StoreErrorCode) as string[]).includes(code);
}
