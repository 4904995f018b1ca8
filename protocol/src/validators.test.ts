import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { validatorModule } from './codegen.js';
import { generatedValidators } from './schemas.js';
import * as generated from './validators.generated.js';

describe('validators.generated.ts', () => {
  it('is what `npm run gen:validators` makes of schemas.ts today', () => {
    const onDisk = readFileSync(new URL('./validators.generated.ts', import.meta.url), 'utf8');
    // A failure here means schemas.ts (or TypeBox) changed after the last generation: run `npm run gen:validators`.
    expect(onDisk).toBe(validatorModule(generatedValidators));
  });

  it('exports each schema as plain JSON equal to its TypeBox definition', () => {
    for (const { name, schema } of generatedValidators.schemas) {
      expect((generated as Record<string, unknown>)[`${name}Schema`]).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});

/** A small deterministic PRNG (mulberry32), so that a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: readonly unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 - 1, -(2 ** 53),
  946684800000, 946684799999, 4102444800000, 4102444799999, '', ' ', 'a', 'A', 'pm-01', 'pm_01', '-x', 'x'.repeat(65),
  '\u{1F600}', '\uD800', '\uDC00x', 'good', 'bad', 'uncertain', 'GOOD', [], [1], ['a'], {}, { a: 1 }, 10n,
];

/** A copy of `value` with one random change somewhere inside: a field replaced, removed or added. */
function mutate(value: unknown, next: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  if (Array.isArray(value)) {
    const copy: unknown[] = [...(value as unknown[])];
    if (copy.length === 0 || next() < 0.2) copy.push(pick(ODD_VALUES));
    else {
      const i = Math.floor(next() * copy.length);
      copy[i] = next() < 0.5 ? mutate(copy[i], next) : pick(ODD_VALUES);
    }
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = { ...value };
    const keys = Object.keys(copy);
    const roll = next();
    if (keys.length === 0 || roll < 0.15) copy[pick(['extra', 'x', ...keys])] = pick(ODD_VALUES);
    else if (roll < 0.3) delete copy[pick(keys)];
    else {
      const key = pick(keys);
      copy[key] = next() < 0.6 ? mutate(copy[key], next) : pick(ODD_VALUES);
    }
    return copy;
  }
  return pick(ODD_VALUES);
}

const VALID: Readonly<Record<string, unknown>> = {
  Reading: { sensor: 'pm-01', metric: 'pm25', ts: 1764064800000, value: 70, quality: 'good' },
  TelemetryBatch: {
    seq: 7,
    readings: [
      { sensor: 'pm-01', metric: 'pm25', ts: 1764064800000, value: 70 },
      { sensor: 'pm-01', metric: 'pm10', ts: 1764064800000, value: 90, quality: 'uncertain' },
    ],
    historical: true,
  },
  StateMessage: {
    online: true,
    ts: 1764064800000,
    agent: { name: 'ioc-edge', version: '0.1.0' },
    inputs: [{ id: 'dust', driver: 'pms5003', sensors: ['pm-01'] }],
    outbox: { pending: 0, dropped: 3 },
  },
  ConfigAck: { version: 'v7', ok: false, error: 'inputs[0].port: is required' },
};

describe('generated checks', () => {
  for (const { name, schema } of generatedValidators.schemas) {
    it(`check${name} agrees with TypeBox's compiled validator on 4,000 mutated values`, () => {
      const check = (generated as unknown as Record<string, (value: unknown) => boolean>)[`check${name}`]!;
      const typebox = Compile(schema);
      const next = random(0x10c + name.length);
      let accepted = 0;
      for (let i = 0; i < 4000; i += 1) {
        let candidate: unknown = VALID[name];
        for (let depth = Math.floor(next() * 3); depth > 0; depth -= 1) candidate = mutate(candidate, next);
        const expected = typebox.Check(candidate);
        if (check(candidate) !== expected) throw new Error(`check${name} disagrees with TypeBox on case ${i}: ${String(JSON.stringify(candidate))}`);
        if (expected) accepted += 1;
      }
      // Both outcomes are exercised: the corpus holds valid and invalid values.
      expect(accepted).toBeGreaterThan(200);
      expect(accepted).toBeLessThan(3800);
    });
  }
});

describe('validatorModule', () => {
  const options = (schema: Parameters<typeof validatorModule>[0]['schemas'][number]['schema']) => ({
    schemasModule: './x.js',
    command: 'test',
    schemas: [{ name: 'Thing', schema }],
  });

  it('refuses a schema whose check needs a TypeBox helper it cannot inline', () => {
    expect(() => validatorModule(options(Type.Array(Type.Number(), { uniqueItems: true })))).toThrow(/Thing: the check calls TypeBox's \w+/);
  });

  it('refuses a name that is not PascalCase', () => {
    expect(() => validatorModule({ ...options(Type.Number()), schemas: [{ name: 'thing', schema: Type.Number() }] })).toThrow(/must be PascalCase/);
  });

  it('writes patterns as RegExp literals with their flags', () => {
    const text = validatorModule(options(Type.String({ pattern: '^a.b$' })));
    expect(text).toContain('const externalThing: readonly RegExp[] = [new RegExp("^a.b$", "u")];');
    expect(text).not.toMatch(/^import (?!type )/m);
  });
});
