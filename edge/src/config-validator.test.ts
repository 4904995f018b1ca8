import { readFileSync } from 'node:fs';
import { validatorModule } from '@ioc/protocol/codegen';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { applyDefaults } from './config-defaults.js';
import { AgentConfigSchema as TypeBoxSchema, generatedValidators } from './config-schema.js';
import { AgentConfigSchema, checkAgentConfig } from './config-validator.generated.js';

describe('config-validator.generated.ts', () => {
  it('is what `npm run gen:validators` makes of config-schema.ts today', () => {
    const onDisk = readFileSync(new URL('./config-validator.generated.ts', import.meta.url), 'utf8');
    // A failure here means config-schema.ts (or TypeBox) changed after the last generation: run `npm run gen:validators`.
    expect(onDisk).toBe(validatorModule(generatedValidators));
  });
});

/** Configs as technicians write them: sections missing, empty, partly filled; inputs of every shape; and garbage. */
const CONFIGS: readonly unknown[] = [
  { gateway: { site: 'ha-nam', id: 'gw-01' }, mqtt: { url: 'mqtt://h:1883', password: 's' }, inputs: [{ driver: 'pms5003', id: 'p' }] },
  { gateway: { site: 'ha-nam', id: 'gw-01' }, mqtt: { url: 'mqtts://h', passwordFile: '/f', keepaliveSec: 60 }, outbox: {}, uplink: { lingerMs: 0 }, http: { port: 0 }, clock: { referenceUrl: 'http://c/h' }, inputs: [{ driver: 'camera', id: 'c' }] },
  { gateway: {}, mqtt: {}, outbox: { sync: 'normal' }, inputs: [{}, { driver: 'x', id: 'y', extra: { nested: true } }] },
  { mqtt: { url: 'mqtt://h', reconnectMinMs: 5, reconnectMaxMs: 1 }, http: { host: '0.0.0.0' }, clock: { maxSkewMs: 1 } },
  // (Not `mqtt: []`: Value.Default writes defaults into an array where an object belongs; both are refused by the check.)
  { gateway: null, mqtt: 'x', outbox: 'full', uplink: 5, http: { port: '9464' }, inputs: {} },
  {},
  null,
  undefined,
  'gateway: gw-01',
  42,
];

describe('applyDefaults', () => {
  it("fills in what TypeBox's Value.Default fills in, for every config shape", () => {
    for (const config of CONFIGS) {
      expect(applyDefaults(AgentConfigSchema, structuredClone(config))).toEqual(Value.Default(TypeBoxSchema, structuredClone(config)));
    }
  });

  it('fills defaults inside array items and schema-valued additionalProperties, and leaves explicit values', () => {
    const schema = Type.Object(
      { list: Type.Array(Type.Object({ a: Type.Integer({ default: 1 }) })), keep: Type.Integer({ default: 5 }) },
      { additionalProperties: Type.Object({ b: Type.String({ default: 'x' }) }) },
    );
    const value = { list: [{}, { a: 2 }], keep: 0, other: {} };
    expect(applyDefaults(JSON.parse(JSON.stringify(schema)) as object, structuredClone(value))).toEqual(Value.Default(schema, structuredClone(value)));
    expect(applyDefaults(schema, structuredClone(value))).toEqual({ list: [{ a: 1 }, { a: 2 }], keep: 0, other: { b: 'x' } });
  });

  it('leaves an array where an object belongs as it is (Value.Default writes defaults into it); the check refuses it', () => {
    expect(applyDefaults(AgentConfigSchema, [])).toEqual([]);
    expect(checkAgentConfig(applyDefaults(AgentConfigSchema, [{ mqtt: [] }]))).toBe(false);
  });

  it('gives every default its own copy', () => {
    const first = applyDefaults(AgentConfigSchema, {}) as { outbox: object };
    const second = applyDefaults(AgentConfigSchema, {}) as { outbox: object };
    expect(first.outbox).not.toBe(second.outbox);
  });
});

describe('checkAgentConfig', () => {
  it("agrees with TypeBox's compiled validator on every config shape, defaults applied or not", () => {
    const typebox = Compile(TypeBoxSchema);
    let accepted = 0;
    for (const config of CONFIGS) {
      for (const value of [config, applyDefaults(AgentConfigSchema, structuredClone(config))]) {
        expect(checkAgentConfig(value)).toBe(typebox.Check(value));
        if (typebox.Check(value)) accepted += 1;
      }
    }
    expect(accepted).toBe(2); // the first two configs, once defaults are in
  });
});
