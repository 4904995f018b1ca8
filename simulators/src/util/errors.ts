/** An Error with a stable `code` (`IOC_ERR_…`): callers check `err.code`, never `instanceof`. */
export interface CodedError extends Error {
  readonly code: string;
}

export function codedError(code: string, message: string, cause?: unknown): CodedError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as Error & { code: string };
  err.code = code;
  return err;
}
