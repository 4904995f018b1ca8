import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../agent.js';
import { parseAgentConfig, type AgentConfig } from '../config.js';
import { drivers } from '../drivers/index.js';
import { fakeDriverFactory } from '../testing/fake-driver.js';
import { recordMessages, startTestBroker, until, type Received, type TestBroker } from '../testing/test-broker.js';
import { InputSet } from './input-set.js';
import { parseRemoteConfig } from './remote-config.js';

const log = pino({ level: 'silent' });
const root = mkdtempSync(path.join(tmpdir(), 'ioc-remote-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const fake = fakeDriverFactory();
const registry = { ...drivers, fake };
const input = (id: string, more: Record<string, unknown> = {}) => ({ driver: 'fake', id, sensor: `s-${id}`, ...more });
let n = 0;

function localConfig(url: string, inputs: unknown[]): AgentConfig {
  return parseAgentConfig(
    { gateway: { site: 'ha-nam', id: 'gw-01' }, dataDir: path.join(root, `data-${n++}`), mqtt: { url, password: 'x', reconnectMinMs: 20, reconnectMaxMs: 100 }, http: { port: 0 }, uplink: { lingerMs: 0 }, inputs },
    registry,
  );
}

describe('parseRemoteConfig', () => {
  const local = localConfig('mqtt://127.0.0.1:1', [input('a')]);

  it('replaces the inputs and overrides uplink settings, keeping the local broker and data dir', () => {
    const { version, config } = parseRemoteConfig({ version: 4, inputs: [input('b')], uplink: { maxBatchReadings: 50 } }, local, registry);
    expect(version).toBe(4);
    expect(config.inputs.map((i) => i.id)).toEqual(['b']);
    expect(config.uplink).toEqual({ maxBatchReadings: 50, lingerMs: 0 });
    expect(config.mqtt).toEqual(local.mqtt);
    expect(config.dataDir).toBe(local.dataDir);
  });

  it.each<[string, unknown, RegExp]>([
    ['a missing version', { inputs: [input('a')] }, /^version: is required/],
    ['a negative version', { version: -1, inputs: [input('a')] }, /^version: is required: an integer ≥ 0/],
    ['no inputs', { version: 1 }, /^inputs: is required/],
    ['an attempt to change the broker', { version: 1, inputs: [input('a')], mqtt: { url: 'mqtt://evil' } }, /^mqtt: unknown field \(allowed: version, inputs, uplink\)/],
    ['a bad driver field deep down', { version: 1, inputs: [input('a'), { driver: 'pms5003', id: 'p', sensor: 'pm-01' }] }, /^inputs\[1\]\.port: is required/],
    ['a bad uplink value', { version: 1, inputs: [input('a')], uplink: { maxBatchReadings: 0 } }, /^uplink\.maxBatchReadings: must be >= 1/],
  ])('refuses %s, naming the path', (_name, body, message) => {
    expect(() => parseRemoteConfig(body, local, registry)).toThrow(message);
  });
});

describe('InputSet', () => {
  const set = (): InputSet => new InputSet({ create: (c) => fake.create(c.config as never, { sink: () => undefined, log, now: Date.now }), startTimeoutMs: 1000, log });
  const cfg = (inputs: unknown[]) => parseAgentConfig({ gateway: { site: 's', id: 'g' }, mqtt: { url: 'mqtt://x', password: 'x' }, inputs }, registry).inputs;

  it('starts, stops and restarts only what changed', async () => {
    const inputs = set();
    await inputs.apply(cfg([input('a'), input('b'), input('c')]));
    const [a, b, c] = inputs.running.map((r) => r.driver);
    const changes = await inputs.apply(cfg([input('a'), input('b', { tag: 'v2' }), input('c', { calibration: { pm25: { gain: 2 } } }), input('d')]));
    expect(changes).toEqual({ added: ['d'], removed: [], restarted: ['b'], recalibrated: ['c'] });
    expect(inputs.running[0]?.driver).toBe(a);
    expect(inputs.running[1]?.driver).not.toBe(b);
    expect(inputs.running[2]?.driver).toBe(c);
    expect(inputs.running[2]?.config.calibration).toEqual({ pm25: { gain: 2, offset: 0 } });
    expect((b as unknown as { state: string }).state).toBe('stopped');
    expect((await inputs.apply(cfg([input('d')]))).removed).toEqual(['a', 'b', 'c']);
    await inputs.stopAll();
  });

  it('puts everything back when a new driver fails to start', async () => {
    const inputs = set();
    await inputs.apply(cfg([input('a'), input('b')]));
    const before = inputs.running.map((r) => r.config);
    await expect(inputs.apply(cfg([input('a', { tag: 'x' }), input('b'), input('c'), input('d', { failStart: true })]))).rejects.toMatchObject({ code: 'IOC_ERR_FAKE_START' });
    expect(inputs.running.map((r) => r.config)).toEqual(before);
    expect(inputs.running.every((r) => (r.driver as unknown as { state: string }).state === 'running')).toBe(true);
    const c = fake.instances.filter((i) => i.config.id === 'c').at(-1);
    expect(c?.state).toBe('stopped');
    await inputs.stopAll();
  });
});

describe('remote config over MQTT', () => {
  let broker: TestBroker;
  let cloud: MqttClient;
  let messages: Received[];

  async function setUp(): Promise<void> {
    broker = await startTestBroker();
    cleanups.push(() => broker.close());
    cloud = await mqtt.connectAsync(broker.url, { clientId: 'cloud' });
    cleanups.push(() => cloud.endAsync());
    const rec = await recordMessages(broker.url, 'ioc/v1/#');
    cleanups.push(() => rec.close());
    messages = rec.messages;
  }

  const push = (body: unknown): Promise<unknown> => cloud.publishAsync('ioc/v1/ha-nam/gw-01/config', JSON.stringify(body), { qos: 1, retain: true });
  const acks = (): unknown[] => messages.filter((m) => m.topic === 'ioc/v1/ha-nam/gw-01/config/ack').map((m) => JSON.parse(m.payload.toString()) as unknown);
  const births = (): { inputs?: { id: string }[] }[] => messages.filter((m) => m.topic.endsWith('/state')).map((m) => JSON.parse(m.payload.toString()) as { inputs?: { id: string }[] });
  const start = async (config: AgentConfig): Promise<RunningAgent> => {
    const agent = await startAgent(config, log, { drivers: registry, startTimeoutMs: 2000 });
    cleanups.push(() => agent.stop());
    return agent;
  };
  const ids = (agent: RunningAgent): string[] => Object.keys(agent.stats().inputs);

  it('applies a config without a restart, acks it, keeps it on disk, and starts with it next time', async () => {
    await setUp();
    const local = localConfig(broker.url, [input('a')]);
    const agent = await start(local);
    await until(() => agent.stats().uplink.connected, 'connection');
    const a = fake.instances.at(-1);
    await push({ version: 1, inputs: [input('a'), input('b')], uplink: { maxBatchReadings: 50 } });
    await until(() => acks().length === 1, 'the ack');
    expect(acks()).toEqual([{ version: 1, ok: true }]);
    expect(ids(agent)).toEqual(['a', 'b']);
    expect(fake.instances.filter((i) => i.config.id === 'a' && i.state === 'running')).toEqual([a]); // untouched
    expect(agent.config().uplink.maxBatchReadings).toBe(50);
    await until(() => births().at(-1)?.inputs?.length === 2, 'a birth with the new inputs');
    const saved = JSON.parse(readFileSync(path.join(local.dataDir!, 'remote-config.json'), 'utf8')) as unknown;
    expect(saved).toEqual({ version: 1, inputs: [input('a'), input('b')], uplink: { maxBatchReadings: 50 } });

    await agent.stop();
    const offline = await start({ ...local, mqtt: { ...local.mqtt, url: 'mqtt://127.0.0.1:1' } }); // no broker there
    expect(ids(offline)).toEqual(['a', 'b']);
    expect(offline.stats().config.version).toBe(1);
  });

  it('refuses an invalid config with the path of the problem, and keeps the current one', async () => {
    await setUp();
    const agent = await start(localConfig(broker.url, [input('a')]));
    await push({ version: 'v2', inputs: [input('a'), { driver: 'fake', id: 'b', sensor: 'Not An Id' }] });
    await until(() => acks().length === 1, 'the ack');
    expect(acks()).toEqual([{ version: 'v2', ok: false, error: 'inputs[1].sensor: must be a valid id' }]);
    expect(ids(agent)).toEqual(['a']);
    expect(agent.stats().config).toEqual({ version: undefined, applied: 0, refused: 1 });
  });

  it('rolls back when a new input fails to start, acks the failure, and acks a redelivery without applying again', async () => {
    await setUp();
    const local = localConfig(broker.url, [input('a')]);
    const agent = await start(local);
    await push({ version: 1, inputs: [input('a'), input('b')] });
    await until(() => acks().length === 1, 'the first ack');
    await push({ version: 2, inputs: [input('a', { tag: 'new' }), input('c', { failStart: true })] });
    await until(() => acks().length === 2, 'the second ack');
    expect(acks()[1]).toEqual({ version: 2, ok: false, error: 'could not apply, previous config restored: c cannot start' });
    expect(ids(agent)).toEqual(['a', 'b']);
    expect(agent.config().inputs.map((i) => i.config)).toEqual([expect.not.objectContaining({ tag: 'new' }), expect.anything()]);
    expect(JSON.parse(readFileSync(path.join(local.dataDir!, 'remote-config.json'), 'utf8'))).toMatchObject({ version: 1 });

    const instances = fake.instances.length;
    broker.dropConnections('gw-'); // on reconnect the broker sends the retained config (version 2) again
    await until(() => acks().length === 3, 'the ack of the redelivery');
    expect(acks()[2]).toEqual(acks()[1]);
    expect(fake.instances.length).toBe(instances);
  });

  it('ignores a cleared retained config, and acks garbage as refused', async () => {
    await setUp();
    const local = localConfig(broker.url, [input('a')]);
    const agent = await start(local);
    await until(() => agent.stats().uplink.connected, 'connection');
    await cloud.publishAsync('ioc/v1/ha-nam/gw-01/config', '{"version": 9, "inputs": [', { qos: 1, retain: true });
    await until(() => acks().length === 1, 'the ack');
    expect(acks()[0]).toMatchObject({ version: 'unknown', ok: false, error: expect.stringContaining('not a UTF-8 JSON document') as string });
    await cloud.publishAsync('ioc/v1/ha-nam/gw-01/config', '', { qos: 1, retain: true });
    expect(existsSync(path.join(local.dataDir!, 'remote-config.json'))).toBe(false);
    await push({ version: 5, inputs: [input('a', { tag: 'five' })] }); // handled after the empty one, in order
    await until(() => acks().length === 2, 'the next ack');
    expect(acks()[1]).toEqual({ version: 5, ok: true }); // the empty payload got no ack and changed nothing
    expect(agent.config().inputs[0]?.config).toMatchObject({ tag: 'five' });
  });
});
