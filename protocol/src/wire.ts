/**
 * The byte layer shared by every payload: size cap, strict UTF-8, JSON. Checks run in that order, so a
 * 10 MB payload is refused before a single byte of it is decoded.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode, IocError, fail, ok, type Result } from './errors.js';
import { MAX_PAYLOAD_BYTES } from './payloads.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A UTF-16 surrogate not part of a pair; with the `u` flag, pairs are one code point and do not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Payload bytes (or an already-decoded string) to a JSON value. Fails with IOC_ERR_PAYLOAD_TOO_LARGE,
 * IOC_ERR_PAYLOAD_ENCODING or IOC_ERR_PAYLOAD_JSON, always at path `''`. Never throws.
 */
export function parsePayload(payload: Uint8Array | string): Result<unknown> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  try {
    return ok(JSON.parse(text.value) as unknown);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return fail(ErrorCode.IOC_ERR_PAYLOAD_JSON, '', `payload: not valid JSON (${reason})`);
  }
}

function payloadText(payload: Uint8Array | string): Result<string> {
  if (typeof payload === 'string') return stringText(payload);
  if (!(payload instanceof Uint8Array)) {
    return fail(ErrorCode.IOC_ERR_PAYLOAD_ENCODING, '', 'payload: must be bytes (Uint8Array) or a string');
  }
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return tooLarge(payload.byteLength);
  try {
    return ok(utf8.decode(payload));
  } catch {
    return fail(ErrorCode.IOC_ERR_PAYLOAD_ENCODING, '', 'payload: not valid UTF-8');
  }
}

function stringText(payload: string): Result<string> {
  // Every UTF-16 unit is at least one UTF-8 byte, so a long string is refused without measuring it.
  if (payload.length > MAX_PAYLOAD_BYTES) return tooLarge(payload.length);
  const bytes = Buffer.byteLength(payload, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) return tooLarge(bytes);
  if (LONE_SURROGATE.test(payload)) {
    const message = 'payload: string holds a lone surrogate (not encodable as UTF-8)';
    return fail(ErrorCode.IOC_ERR_PAYLOAD_ENCODING, '', message);
  }
  return ok(payload);
}

function tooLarge(atLeast: number): Result<never> {
  const message = `payload: at least ${atLeast} bytes, limit is ${MAX_PAYLOAD_BYTES}`;
  return fail(ErrorCode.IOC_ERR_PAYLOAD_TOO_LARGE, '', message);
}

/** JSON-serializes `value` to UTF-8; throws IocError IOC_ERR_PAYLOAD_TOO_LARGE above MAX_PAYLOAD_BYTES. */
export function serialize(value: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  if (bytes.byteLength > MAX_PAYLOAD_BYTES) {
    const message = `payload: ${bytes.byteLength} bytes, limit is ${MAX_PAYLOAD_BYTES}; split the batch`;
    throw new IocError({ code: ErrorCode.IOC_ERR_PAYLOAD_TOO_LARGE, path: '', message });
  }
  return bytes;
}
