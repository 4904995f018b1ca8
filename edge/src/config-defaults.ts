/**
 * Fills in the `default`s of a JSON Schema, as TypeBox's Value.Default does for the keywords the config schema uses
 * (default, object properties and schema-valued additionalProperties, array items), so that the agent needs no
 * TypeBox at run time. Mutates and returns `value`; the caller checks the result against the schema afterwards.
 * config-defaults.test.ts compares it with Value.Default.
 */
type Schema = Readonly<Record<string, unknown>>;

export function applyDefaults(root: object, value: unknown): unknown {
  const schema = root as Schema;
  let out = value;
  if (out === undefined && Object.hasOwn(schema, 'default')) out = structuredClone(schema.default);
  if (schema.type === 'array' && isSchema(schema.items) && Array.isArray(out)) {
    for (let i = 0; i < out.length; i += 1) out[i] = applyDefaults(schema.items, out[i]);
  } else if (schema.type === 'object' && isPlainObject(out)) {
    const properties = isSchema(schema.properties) ? (schema.properties as Readonly<Record<string, Schema>>) : {};
    for (const [key, property] of Object.entries(properties)) {
      const filled = applyDefaults(property, out[key]);
      if (filled !== undefined) out[key] = filled;
    }
    if (isSchema(schema.additionalProperties)) {
      for (const key of Object.keys(out)) if (!Object.hasOwn(properties, key)) out[key] = applyDefaults(schema.additionalProperties, out[key]);
    }
  }
  return out;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
