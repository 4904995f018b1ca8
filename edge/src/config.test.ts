import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, parseAgentConfig } from './config.js';
import { loadAgentConfig, parseConfigText, stripJsonComments } from './config-file.js';

const valid = () => ({
  gateway: { site: 'ha-nam', id: 'gw-01' },
  mqtt: { url: 'mqtt://127.0.0.1:1883', password: 'secret' },
  inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01' }],
});

const dir = mkdtempSync(path.join(tmpdir(), 'ioc-edge-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseAgentConfig', () => {
  it('applies every default', () => {
    const cfg = parseAgentConfig(valid());
    expect(cfg.mqtt).toEqual({ url: 'mqtt://127.0.0.1:1883', password: 'secret', keepaliveSec: 30, connectTimeoutMs: 10_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000 });
    expect(cfg.outbox).toEqual({ maxBytes: 512 * 1024 * 1024, maxReadings: 20_000_000, sync: 'full' });
    expect(cfg.uplink).toEqual({ maxBatchReadings: 500, lingerMs: 1000 });
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(cfg.clock).toEqual({ maxSkewMs: 5000, checkIntervalMs: 3_600_000 });
    expect(cfg.dataDir).toBeUndefined();
    expect(cfg.inputs[0]).toMatchObject({ driver: 'pms5003', id: 'pms-1', calibration: {} });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.mqtt)).toBe(true);
  });

  it('does not modify the object it was given', () => {
    const raw = valid();
    parseAgentConfig(raw);
    expect(raw).toEqual(valid());
  });

  it('takes calibration out of the input before its driver sees it, and keeps it by metric', () => {
    const cfg = parseAgentConfig({ ...valid(), inputs: [{ ...valid().inputs[0], calibration: { pm25: { gain: 1.1, offset: -2 }, pm10: { offset: 3 } } }] });
    expect(cfg.inputs[0]?.calibration).toEqual({ pm25: { gain: 1.1, offset: -2 }, pm10: { gain: 1, offset: 3 } });
    expect(cfg.inputs[0]?.config).not.toHaveProperty('calibration');
  });

  it.each<[string, (c: ReturnType<typeof valid>) => unknown, RegExp]>([
    ['a missing gateway', ({ gateway: _gone, ...rest }) => rest, /^gateway: is required/],
    ['an empty gateway section', (c) => ({ ...c, gateway: null }), /^gateway: is required/],
    ['a gateway that is a string', (c) => ({ ...c, gateway: 'gw-01' }), /^gateway: must be an object/],
    ['an uppercase site id', (c) => ({ ...c, gateway: { site: 'Ha-Nam', id: 'gw-01' } }), /^gateway\.site: "Ha-Nam" is not a valid id/],
    ['a topic wildcard in the gateway id', (c) => ({ ...c, gateway: { site: 'ha-nam', id: 'gw/+' } }), /^gateway\.id: /],
    ['a typo at the top level', (c) => ({ ...c, outbx: {} }), /^outbx: unknown field \(allowed: gateway, dataDir, mqtt, outbox, uplink, http, clock, inputs\)/],
    ['a typo in mqtt', (c) => ({ ...c, mqtt: { ...c.mqtt, pasword: 'x' } }), /^mqtt\.pasword: unknown field/],
    ['an http broker url', (c) => ({ ...c, mqtt: { ...c.mqtt, url: 'http://x' } }), /^mqtt\.url: "http:\/\/x" must start with mqtt:\/\//],
    ['a missing password', (c) => ({ ...c, mqtt: { url: c.mqtt.url } }), /^mqtt\.password: is required \(or mqtt\.passwordFile\)/],
    ['a password and a password file', (c) => ({ ...c, mqtt: { ...c.mqtt, passwordFile: '/etc/ioc/secret' } }), /^mqtt\.passwordFile: give mqtt\.password or mqtt\.passwordFile, not both/],
    ['a CA file without TLS', (c) => ({ ...c, mqtt: { ...c.mqtt, caFile: '/etc/ioc/ca.pem' } }), /^mqtt\.caFile: needs an mqtts:\/\/ \(TLS\) url/],
    ['a client certificate without its key', (c) => ({ ...c, mqtt: { ...c.mqtt, url: 'mqtts://x', certFile: '/c.pem' } }), /^mqtt\.keyFile: a client certificate needs both/],
    ['a keep-alive of 1 s', (c) => ({ ...c, mqtt: { ...c.mqtt, keepaliveSec: 1 } }), /^mqtt\.keepaliveSec: must be >= 5 \(got 1\)/],
    ['backoff upside down', (c) => ({ ...c, mqtt: { ...c.mqtt, reconnectMinMs: 5000, reconnectMaxMs: 1000 } }), /^mqtt\.reconnectMaxMs: must be at least reconnectMinMs/],
    ['an unknown sync policy', (c) => ({ ...c, outbox: { sync: 'sometimes' } }), /^outbox\.sync: must be one of 'full', 'normal' \(got "sometimes"\)/],
    ['a tiny outbox', (c) => ({ ...c, outbox: { maxBytes: 10 } }), /^outbox\.maxBytes: must be >= 65536/],
    ['a string batch size', (c) => ({ ...c, uplink: { maxBatchReadings: '500' } }), /^uplink\.maxBatchReadings: must be an integer \(got "500"\)/],
    ['an http port out of range', (c) => ({ ...c, http: { port: 70000 } }), /^http\.port: must be <= 65535/],
    ['a clock reference that is not http', (c) => ({ ...c, clock: { referenceUrl: 'ntp://pool' } }), /^clock\.referenceUrl: "ntp:\/\/pool" must start with http/],
    ['no inputs', (c) => ({ ...c, inputs: [] }), /^inputs: must not have fewer than 1 items/],
    ['an input without an id', (c) => ({ ...c, inputs: [{ driver: 'pms5003' }] }), /^inputs\[0\]\.id: is required/],
    ['an unknown driver', (c) => ({ ...c, inputs: [{ driver: 'pms9000', id: 'x' }] }), /^inputs\[0\]\.driver: unknown driver "pms9000"; known: pms5003/],
    ['an input without a port', (c) => ({ ...c, inputs: [{ driver: 'pms5003', id: 'p', sensor: 's' }] }), /^inputs\[0\]\.port: is required/],
    ['a sensor id the wire contract refuses', (c) => ({ ...c, inputs: [{ ...c.inputs[0], sensor: 'PM 01' }] }), /^inputs\[0\]\.sensor: "PM 01" is not a valid id/],
    ['two inputs with one id', (c) => ({ ...c, inputs: [c.inputs[0], c.inputs[0]] }), /^inputs\[1\]\.id: duplicate input id "pms-1"/],
    ['calibration of an unknown metric', (c) => ({ ...c, inputs: [{ ...c.inputs[0], calibration: { pm26: { gain: 1 } } }] }), /^inputs\[0\]\.calibration\.pm26: "pm26" is not a known metric/],
    ['a zero gain', (c) => ({ ...c, inputs: [{ ...c.inputs[0], calibration: { pm25: { gain: 0 } } }] }), /^inputs\[0\]\.calibration\.pm25\.gain: must be a finite number other than 0/],
    ['a string offset', (c) => ({ ...c, inputs: [{ ...c.inputs[0], calibration: { pm25: { offset: '2' } } }] }), /^inputs\[0\]\.calibration\.pm25\.offset: must be a finite number/],
    ['a typo in a calibration', (c) => ({ ...c, inputs: [{ ...c.inputs[0], calibration: { pm25: { gian: 2 } } }] }), /^inputs\[0\]\.calibration\.pm25\.gian: unknown field/],
    ['null', () => null, /^must be an object/],
    ['an array', () => [], /^must be an object/],
  ])('names the path of %s', (_name, mutate, message) => {
    let error: unknown;
    try {
      parseAgentConfig(mutate(valid()));
    } catch (err) {
      error = err;
    }
    expect((error as Error | undefined)?.message).toMatch(message);
    expect((error as { code?: string }).code).toBe('IOC_ERR_CONFIG');
  });
});

describe('config files', () => {
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads YAML, JSON and JSON with comments alike, and gives a file without dataDir the default one', async () => {
    const yaml = write('gw.yaml', 'gateway: { site: ha-nam, id: gw-01 }\nmqtt:\n  url: mqtt://127.0.0.1:1883\n  password: secret\ninputs:\n  - { driver: pms5003, id: pms-1, port: /dev/ttyUSB0, sensor: pm-01 }\n');
    const json = write('gw.json', JSON.stringify(valid()));
    const jsonc = write('gw.jsonc', `// a comment\n{ "gateway": { "site": "ha-nam", "id": "gw-01" }, /* url: */ "mqtt": { "url": "mqtt://127.0.0.1:1883", "password": "se//cret" },\n "inputs": [{ "driver": "pms5003", "id": "pms-1", "port": "/dev/ttyUSB0", "sensor": "pm-01" }] }`);
    const [a, b, c] = await Promise.all([loadAgentConfig(yaml), loadAgentConfig(json), loadAgentConfig(jsonc)]);
    expect(a).toEqual(b);
    expect(c).toEqual({ ...b, mqtt: { ...b.mqtt, password: 'se//cret' } });
    expect(a.dataDir).toBe(DEFAULT_DATA_DIR);
  });

  it('names the file and the line of a syntax error', async () => {
    const json = write('broken.json', '{"gateway": ');
    await expect(loadAgentConfig(json)).rejects.toThrow(`${json}: not valid JSON`);
    await expect(loadAgentConfig(json)).rejects.toHaveProperty('code', 'IOC_ERR_CONFIG');
    const yaml = write('broken.yaml', 'gateway:\n  site: ha-nam\n   id: gw-01\n');
    await expect(loadAgentConfig(yaml)).rejects.toThrow(new RegExp(`^${yaml.replaceAll('.', '\\.')}: not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 9:$`));
    const dup = write('dup.yaml', 'gateway: {}\ngateway: {}\n');
    await expect(loadAgentConfig(dup)).rejects.toThrow(/not valid YAML: Map keys must be unique/);
  });

  it('names the file and the path of a schema error', async () => {
    const file = write('bad.yaml', 'gateway: { site: ha-nam, id: gw-01 }\nmqtt: { url: "mqtt://x" }\ninputs: [{ driver: pms5003, id: p, port: /dev/x, sensor: s }]\n');
    await expect(loadAgentConfig(file)).rejects.toThrow(`${file}: mqtt.password: is required`);
    await expect(loadAgentConfig(file)).rejects.toMatchObject({ path: 'mqtt.password', file });
  });

  it('checks that the password, CA and certificate files can be read', async () => {
    const secret = write('secret', 'from-a-file\n');
    const ok = write('files.json', JSON.stringify({ ...valid(), mqtt: { url: 'mqtts://broker:8883', passwordFile: secret } }));
    expect((await loadAgentConfig(ok)).mqtt.passwordFile).toBe(secret);
    const missing = write('missing.json', JSON.stringify({ ...valid(), mqtt: { url: 'mqtts://broker:8883', passwordFile: secret, caFile: path.join(dir, 'nope.pem') } }));
    await expect(loadAgentConfig(missing)).rejects.toThrow(/mqtt\.caFile: cannot read .*nope\.pem: ENOENT/);
  });

  it('ships samples that load: edge/sample-config.yaml and .jsonc', async () => {
    const samples = path.resolve(import.meta.dirname, '..');
    const yaml = await loadAgentConfig(path.join(samples, 'sample-config.yaml'));
    const jsonc = parseConfigText(readFileSync(path.join(samples, 'sample-config.jsonc'), 'utf8'), 'sample-config.jsonc');
    expect({ ...parseAgentConfig(jsonc), dataDir: DEFAULT_DATA_DIR }).toEqual(yaml);
    expect(yaml.inputs.map((i) => i.driver)).toEqual(['pms5003', 'sds011']);
  });

  it('strips comments but not comment-like text inside strings', () => {
    expect(JSON.parse(stripJsonComments('{"a": "x // y", /* c */ "b": "/* z */" // end\n}'))).toEqual({ a: 'x // y', b: '/* z */' });
  });
});
