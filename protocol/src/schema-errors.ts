/**
 * Turns TypeBox validation errors into one ProtocolError: the first problem found, with a JSON-pointer
 * path and a message that names the field and what was expected, e.g.
 * `/readings/0/ts: must be an integer (epoch milliseconds)`.
 */
import { createRequire } from 'node:module';
import type { TSchema } from 'typebox';
import type { Compile, Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { ErrorCode, type ProtocolError } from './errors.js';

const compiled = new WeakMap<object, Validator>();
let compile: typeof Compile | undefined;

/**
 * TypeBox's errors for a value a generated check refused. TypeBox (~9 MB of heap) is loaded by the first call, not
 * before: a gateway whose config and readings are valid never loads it. Synchronous (Node ≥ 20.19 and 22.12 load the
 * ES module through require), so that decoders and config checks stay synchronous.
 */
export function schemaErrors(schema: TSchema, value: unknown): TLocalizedValidationError[] {
  let validator = compiled.get(schema);
  if (!validator) {
    compile ??= (createRequire(import.meta.url)('typebox/compile') as { Compile: typeof Compile }).Compile;
    validator = compile(schema);
    compiled.set(schema, validator);
  }
  return validator.Errors(value);
}

/** What a field means, keyed by its path with array indices replaced by `*` (e.g. `/readings/*\/ts`). */
export type FieldHints = ReadonlyMap<string, string>;

/**
 * Reports the first error in TypeBox's order (schema order, depth first; TypeBox buffers at most
 * `Settings.maxErrors`, default 8). Errors inside one branch of an `anyOf` give way to the `anyOf` error
 * that follows them, which says more ("not an allowed type") than "branch 1 wanted an integer".
 */
export function schemaError(errors: readonly TLocalizedValidationError[], hints: FieldHints): ProtocolError {
  const first = errors.find((e) => !e.schemaPath.includes('/anyOf/')) ?? errors[0];
  if (first === undefined) {
    return { code: ErrorCode.IOC_ERR_PAYLOAD_SCHEMA, path: '', message: 'payload: does not match the schema' };
  }
  const inBranch = first.schemaPath.includes('/anyOf/');
  const path = inBranch ? first.instancePath : pathOf(first);
  const what = inBranch ? 'has a type that is not allowed here' : expectation(first);
  const hint = hints.get(path.replace(/\/\d+(?=\/|$)/g, '/*'));
  const message = `${path === '' ? 'payload' : path}: ${what}${hint ? ` (${hint})` : ''}`;
  return { code: ErrorCode.IOC_ERR_PAYLOAD_SCHEMA, path, message };
}

/** Path of the offending value; for a missing property, the path the property should have had. */
function pathOf(error: TLocalizedValidationError): string {
  if (error.keyword !== 'required') return error.instancePath;
  const missing = error.params.requiredProperties[0] ?? '';
  return `${error.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** What the value should have been, in words. */
function expectation(error: TLocalizedValidationError): string {
  switch (error.keyword) {
    case 'type':
      return `must be ${typeNames(error.params.type)}`;
    case 'required':
      return 'is required';
    case 'minimum':
      return `must be >= ${error.params.limit}`;
    case 'maximum':
      return `must be <= ${error.params.limit}`;
    case 'exclusiveMinimum':
      return `must be > ${error.params.limit}`;
    case 'exclusiveMaximum':
      return `must be < ${error.params.limit}`;
    case 'minItems':
      return `must have at least ${error.params.limit} item${error.params.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${error.params.limit} items`;
    case 'minLength':
      return error.params.limit === 1 ? 'must not be empty' : `must have at least ${error.params.limit} characters`;
    case 'maxLength':
      return `must have at most ${error.params.limit} characters`;
    case 'pattern':
      return `must match ${error.params.pattern}`;
    case 'enum':
      return `must be one of ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return 'has a type that is not allowed here';
    default:
      return error.message;
  }
}

const ARTICLES: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  integer: 'an integer',
  number: 'a finite number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  null: 'null',
};

function typeNames(type: string | string[]): string {
  const names = typeof type === 'string' ? [type] : type;
  return names.map((t) => ARTICLES[t] ?? t).join(' or ');
}
