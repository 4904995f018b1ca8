// Field readers shared by the drivers' parseConfig: each names the full path of what it rejects.
import { getMetric, isValidId } from '@ioc/protocol';

export const CONFIG_ERROR = 'IOC_ERR_CONFIG';

export interface ConfigError extends Error {
  readonly code: typeof CONFIG_ERROR;
  /** Full path of the offending value, e.g. `inputs[0].port`. */
  readonly path: string;
}

export function configError(path: string, message: string): ConfigError {
  return Object.assign(new Error(`${path}: ${message}`), { code: CONFIG_ERROR, path } as const);
}

/** A config object being read: its fields and the path it sits at. */
export interface ConfigObject {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly path: string;
}

/** Checks `raw` is a plain object whose keys are all in `allowed` (a typo must not silently become a default). */
export function configObject(raw: unknown, path: string, allowed: readonly string[]): ConfigObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw configError(path, 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw configError(`${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }
  return { raw: raw as Record<string, unknown>, path };
}

/** A required non-empty string. */
export function requiredString(obj: ConfigObject, key: string): string {
  const value = obj.raw[key];
  if (value === undefined) throw configError(`${obj.path}.${key}`, 'is required');
  if (typeof value !== 'string') throw configError(`${obj.path}.${key}`, 'must be a string');
  if (value.trim() === '') throw configError(`${obj.path}.${key}`, 'must not be empty');
  return value;
}

/** A required id that the wire contract accepts (sensor ids, input ids): 1–64 of a-z 0-9 _ -. */
export function requiredId(obj: ConfigObject, key: string): string {
  const value = requiredString(obj, key);
  if (!isValidId(value)) {
    throw configError(`${obj.path}.${key}`, `${JSON.stringify(value)} is not a valid id: use 1–64 of a-z 0-9 _ -, starting with a letter or digit`);
  }
  return value;
}

/** One of `values`, or `fallback` when absent. */
export function optionalEnum<T extends string>(obj: ConfigObject, key: string, values: readonly T[], fallback: T): T {
  const value = obj.raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw configError(`${obj.path}.${key}`, `must be one of ${values.map((v) => `'${v}'`).join(', ')}`);
  }
  return value as T;
}

/** An integer in [min, max], or `fallback` when absent. */
export function optionalInteger(obj: ConfigObject, key: string, min: number, max: number, fallback: number): number {
  const value = obj.raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw configError(`${obj.path}.${key}`, 'must be an integer');
  if (value < min || value > max) throw configError(`${obj.path}.${key}`, `must be between ${min} and ${max}`);
  return value;
}

export function optionalBoolean(obj: ConfigObject, key: string, fallback: boolean): boolean {
  const value = obj.raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw configError(`${obj.path}.${key}`, 'must be true or false');
  return value;
}

/** An optional non-empty string, or undefined when absent. */
export function optionalString(obj: ConfigObject, key: string): string | undefined {
  return obj.raw[key] === undefined ? undefined : requiredString(obj, key);
}

/** A required array of `minItems` to `maxItems` entries (each entry is checked by the caller, at `path[i]`). */
export function requiredArray(obj: ConfigObject, key: string, minItems: number, maxItems: number): readonly unknown[] {
  const value = obj.raw[key];
  const path = `${obj.path}.${key}`;
  if (value === undefined) throw configError(path, 'is required');
  if (!Array.isArray(value)) throw configError(path, 'must be an array');
  if (value.length < minItems) throw configError(path, `must have at least ${minItems} item${minItems === 1 ? '' : 's'}`);
  if (value.length > maxItems) throw configError(path, `must have at most ${maxItems} items`);
  return value as readonly unknown[];
}

/** A required metric name of the protocol's catalogue (`pm25`, `temperature`, …). */
export function requiredMetric(obj: ConfigObject, key: string): string {
  const value = requiredString(obj, key);
  if (getMetric(value) === undefined) {
    throw configError(`${obj.path}.${key}`, `${JSON.stringify(value)} is not a known metric (see the metric catalogue in docs/protocol.md)`);
  }
  return value;
}
