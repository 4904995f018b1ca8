import { storeError, StoreErrorCode, type StoreError } from '../errors.js';

/** Longest piece of an error body quoted in a message. */
const MAX_ERROR_TEXT = 500;

/**
 * One HTTP exchange with InfluxDB, body included, bounded by `timeoutMs`. Never lets a network error out raw:
 * refused connections, resets and timeouts become UNAVAILABLE (retryable).
 */
export async function exchange(
  what: string,
  url: URL,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; headers: Headers; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    throw storeError(StoreErrorCode.UNAVAILABLE, `${what}: ${describeNetworkError(err, timeoutMs)}`, { cause: err });
  }
}

/**
 * The error for a non-2xx answer. 400 and 422 are the request's fault (`badRequest`: BAD_DATA for a write,
 * BAD_QUERY for a query); 413 means split the batch; everything else (401/403 credentials, 404 database missing,
 * 429 throttled, 5xx — including 1.x's `engine: error syncing wal` under load) is UNAVAILABLE: the data is fine and
 * a later retry may succeed.
 */
export function statusError(
  what: string,
  answer: { status: number; headers: Headers; text: string },
  badRequest: typeof StoreErrorCode.BAD_DATA | typeof StoreErrorCode.BAD_QUERY,
): StoreError {
  const { status } = answer;
  const code =
    status === 400 || status === 422
      ? badRequest
      : status === 413
        ? StoreErrorCode.TOO_LARGE
        : StoreErrorCode.UNAVAILABLE;
  return storeError(code, `${what}: HTTP ${status}: ${errorText(answer)}`, { status });
}

/** InfluxDB's own words: the JSON body's `error`, else the X-Influxdb-Error header, else the raw body. */
export function errorText(answer: { headers: Headers; text: string }): string {
  let text: string | undefined;
  try {
    const body = JSON.parse(answer.text) as { error?: unknown };
    if (typeof body.error === 'string') text = body.error;
  } catch {
    // not JSON: fall through
  }
  text ??= answer.headers.get('x-influxdb-error') ?? answer.text;
  text = text.trim();
  if (text === '') return '(no error text)';
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const message = err instanceof Error ? err.message : String(err);
  if (cause === undefined || cause === null) return message;
  const detail = typeof cause.code === 'string' ? cause.code : String(cause.message);
  return `${message} (${detail})`;
}
