import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig, parseAgentConfig } from './config.js';

const valid = () => ({
  gateway: { site: 'ha-nam', id: 'gw-01' },
  mqtt: { url: 'mqtt://127.0.0.1:1883', password: 'secret' },
  inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01' }],
});

describe('parseAgentConfig', () => {
  it('applies every default', () => {
    const cfg = parseAgentConfig(valid());
    expect(cfg.mqtt.keepaliveSec).toBe(30);
    expect(cfg.outbox.maxReadings).toBe(1_000_000);
    expect(cfg.uplink).toEqual({ maxBatchReadings: 500, lingerMs: 1000 });
    expect(cfg.inputs[0]?.driver).toBe('pms5003');
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('does not modify the object it was given', () => {
    const raw = valid();
    parseAgentConfig(raw);
    expect(raw).toEqual(valid());
  });

  it.each<[string, (c: ReturnType<typeof valid>) => unknown, RegExp]>([
    ['a missing gateway', (c) => ({ ...c, gateway: undefined }), /^gateway: /],
    ['an uppercase site id', (c) => ({ ...c, gateway: { site: 'Ha-Nam', id: 'gw-01' } }), /^gateway\.site: /],
    ['a topic wildcard in the gateway id', (c) => ({ ...c, gateway: { site: 'ha-nam', id: 'gw/+' } }), /^gateway\.id: /],
    ['an http broker url', (c) => ({ ...c, mqtt: { ...c.mqtt, url: 'http://x' } }), /^mqtt\.url: /],
    ['a missing password', (c) => ({ ...c, mqtt: { url: c.mqtt.url } }), /^mqtt\.password: /],
    ['a keep-alive of 1 s', (c) => ({ ...c, mqtt: { ...c.mqtt, keepaliveSec: 1 } }), /^mqtt\.keepaliveSec: /],
    ['a string batch size', (c) => ({ ...c, uplink: { maxBatchReadings: '500' } }), /^uplink\.maxBatchReadings: /],
    ['no inputs', (c) => ({ ...c, inputs: [] }), /^inputs: /],
    ['an unknown driver', (c) => ({ ...c, inputs: [{ driver: 'pms9000' }] }), /^inputs\[0\]\.driver: unknown driver "pms9000"/],
    ['an input without a port', (c) => ({ ...c, inputs: [{ driver: 'pms5003', id: 'p', sensor: 's' }] }), /inputs\[0\]\.port/],
    ['a sensor id the wire contract refuses', (c) => ({ ...c, inputs: [{ ...c.inputs[0], sensor: 'PM 01' }] }), /^inputs\[0\]\.sensor: "PM 01" is not a valid id/],
    ['two inputs with one id', (c) => ({ ...c, inputs: [c.inputs[0], c.inputs[0]] }), /^inputs\[1\]\.id: duplicate/],
    ['null', () => null, /./],
    ['an array', () => [], /./],
  ])('names the path of %s', (_name, mutate, message) => {
    expect(() => parseAgentConfig(mutate(valid()))).toThrow(message);
    try {
      parseAgentConfig(mutate(valid()));
    } catch (err) {
      expect((err as { code?: string }).code).toBe('IOC_ERR_CONFIG');
    }
  });
});

describe('loadAgentConfig', () => {
  it('names the file when its JSON is broken', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioc-edge-config-'));
    try {
      const file = path.join(dir, 'gw.json');
      writeFileSync(file, '{"gateway": ');
      await expect(loadAgentConfig(file)).rejects.toThrow(`${file} is not valid JSON`);
      await expect(loadAgentConfig(file)).rejects.toHaveProperty('code', 'IOC_ERR_CONFIG');
      writeFileSync(file, JSON.stringify({ ...valid(), mqtt: { url: 'mqtt://x' } }));
      await expect(loadAgentConfig(file)).rejects.toThrow(/gw\.json: mqtt\.password: /);
      writeFileSync(file, JSON.stringify(valid()));
      expect((await loadAgentConfig(file)).gateway.id).toBe('gw-01');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
