import { execFileSync } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes, type AuthenticateError, type PublishPacket } from 'aedes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../cloud/src/alerts/types.js';
import { MqttAlertSource } from './cjs.js';
import { callsOf, helper, iocNodes, transition, waitFor, type TestNode } from './support.js';

const OBSERVER = { username: 'nodered-observer', password: 'quan-sat-2025' };
let broker: Aedes;
let server: net.Server;
let url: string;
const sockets = new Set<Socket>();
const subscribed: { clientId: string; topic: string; qos: number }[] = [];

beforeAll(async () => {
  broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const ok = username === OBSERVER.username && password?.toString() === OBSERVER.password;
      const refusal: AuthenticateError = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
      done(ok ? null : refusal, ok);
    },
  });
  broker.on('subscribe', (subs, client) => subs.forEach((s) => subscribed.push({ clientId: client.id, topic: s.topic, qos: s.qos })));
  server = net.createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});
afterEach(async () => {
  await helper.unload();
});

let nextId = 1000;
/** Publishes as the cloud does: one JSON AlertEvent, QoS 1, on ioc/v1/alerts/{site}. */
async function publish(payload: string | AlertEvent, site = typeof payload === 'string' ? 'ha-nam-phu-ly' : payload.subject.site): Promise<void> {
  const packet = { cmd: 'publish', topic: `ioc/v1/alerts/${site}`, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), qos: 1, retain: false, dup: false } as PublishPacket;
  await new Promise<void>((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
}
const event = (over: Parameters<typeof transition>[1] = {}): AlertEvent => ({ ...transition(`m-${nextId}`, over), id: nextId++ });

async function loadMqtt(id: string, node: Record<string, unknown>, creds = OBSERVER): Promise<{ node: TestNode; got: Record<string, unknown>[] }> {
  await helper.load(iocNodes, [
    { id: 'f1', type: 'tab', label: 'mqtt' },
    { id: 'srv', type: 'ioc-server', name: 'IOC', url: 'http://127.0.0.1:9', mqttUrl: url, reconnectMinS: '0.02', reconnectMaxS: '0.1', idleTimeoutS: '45', requestTimeoutS: '5' },
    { id, z: 'f1', x: 100, y: 40, type: 'ioc alert', name: '', server: 'srv', source: 'mqtt', severity: 'warning', sites: '', types: '', maxAgeMin: '60', wires: [['out']], ...node },
    { id: 'out', z: 'f1', x: 300, y: 40, type: 'helper' },
  ], { srv: { token: 'unused', mqttUsername: creds.username, mqttPassword: creds.password } });
  const got: Record<string, unknown>[] = [];
  helper.getNode('out')!.on('input', (m) => got.push(m));
  return { node: helper.getNode(id)!, got };
}

describe('ioc alert with the MQTT source (real Aedes broker)', () => {
  it('subscribes QoS 1 to its sites as the observer, filters, drops redeliveries, counts garbage', async () => {
    const { node, got } = await loadMqtt('mq-filters', { sites: 'ha-nam-phu-ly' });
    await waitFor('the subscription', () => subscribed.some((s) => s.clientId.endsWith('mq-filters')));
    expect(subscribed.filter((s) => s.clientId.endsWith('mq-filters')).map((s) => [s.topic, s.qos])).toEqual([['ioc/v1/alerts/ha-nam-phu-ly', 1]]);

    const critical = event();
    await publish(critical);
    await publish(critical); // a QoS 1 redelivery
    await publish('{"id": 3, "alertId": "half');
    await publish({ ...event(), subject: { site: 'bac-ninh-01' } }, 'ha-nam-phu-ly'); // payload and topic disagree
    await publish(event({ severity: 'info' }));
    await publish(event({ site: 'bac-ninh-01' })); // not subscribed: never reaches the node
    const last = event({ severity: 'warning', type: 'renotified' });
    await publish(last);
    await waitFor('the last alert', () => got.length === 2);
    expect(got.map((m) => [m.topic, m.eventId])).toEqual([['ioc/alerts/ha-nam-phu-ly/critical', critical.id], ['ioc/alerts/ha-nam-phu-ly/warning', last.id]]);
    expect(got[0]!.payload).toEqual(critical);
    expect(node.stats!()).toMatchObject({
      delivered: 2, filtered: { severity: 1 },
      source: { events: 3, duplicates: 1, garbage: 2, garbageBy: { 'bad-json': 1, 'topic-mismatch': 1 } },
    });
  });

  it('gets what was published while it was disconnected, from its persistent session, once', async () => {
    const { node, got } = await loadMqtt('mq-session', {});
    await waitFor('the subscription', () => subscribed.some((s) => s.clientId.endsWith('mq-session')));
    const before = event();
    await publish(before);
    await waitFor('first alert', () => got.length === 1);
    const gone = new Promise<void>((r) => broker.once('clientDisconnect', () => r()));
    for (const s of sockets) s.destroy();
    await gone;
    const missed = [event(), event({ site: 'ha-nam-duy-tien' })];
    for (const e of missed) await publish(e);
    await waitFor('the missed alerts', () => got.length === 3);
    const live = event();
    await publish(live);
    await waitFor('the live alert', () => got.length === 4);
    expect(got.map((m) => m.eventId)).toEqual([before.id, ...missed.map((e) => e.id), live.id]);
    expect(node.stats!().source).toMatchObject({ connects: 2, garbage: 0 });
    expect(callsOf(node.status, node).some(([s]) => String((s as { text: string }).text).startsWith('reconnecting in'))).toBe(true);
  });

  it('shows a refused password in red, once, and delivers nothing', async () => {
    const { node, got } = await loadMqtt('mq-refused', {}, { ...OBSERVER, password: 'wrong' });
    await waitFor('two refusals', () => callsOf(node.status, node).filter(([s]) => (s as { fill: string }).fill === 'red').length >= 2);
    const red = callsOf(node.status, node).find(([s]) => (s as { fill: string }).fill === 'red')![0] as { text: string };
    expect(red.text).toMatch(/IOC_ERR_NR_MQTT_REFUSED$/);
    expect(callsOf(node.warn, node).filter(([w]) => String(w).includes('CONNACK'))).toHaveLength(1);
    expect(got).toEqual([]);
  });

  it('shows a refused subscription (an account that is not an observer) in red', async () => {
    const allow = broker.authorizeSubscribe;
    broker.authorizeSubscribe = (client, sub, done) => (client.id.endsWith('mq-denied') ? done(null, null) : allow(client, sub, done));
    try {
      const { node } = await loadMqtt('mq-denied', {});
      await waitFor('the refusal', () => callsOf(node.status, node).some(([s]) => (s as { fill: string }).fill === 'red'));
      expect(callsOf(node.status, node).at(-1)).toEqual([{ fill: 'red', shape: 'ring', text: 'failed: IOC_ERR_NR_SUBSCRIBE_REFUSED' }]);
      expect(callsOf(node.warn, node)[0]?.[0]).toContain('ioc/v1/alerts/+');
    } finally {
      broker.authorizeSubscribe = allow;
    }
  });
});

describe('without the mqtt package', () => {
  it('the MQTT source says what to install; the SSE source loads without it', () => {
    const mk = (mqtt: unknown) => () => new MqttAlertSource({ url, clientId: 'x', sites: [], onAlert: () => undefined, mqtt });
    expect(mk(null)).toThrow(expect.objectContaining({ code: 'IOC_ERR_NR_NO_MQTT', message: expect.stringContaining('npm install mqtt') as unknown }));
    expect(() => new MqttAlertSource({ url: '', clientId: 'x', sites: [], onAlert: () => undefined })).toThrow(expect.objectContaining({ code: 'IOC_ERR_NR_CONFIG' }));
    // A separate Node process in which `mqtt` cannot be resolved at all.
    const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'mqtt' || request.startsWith('mqtt/')) throw Object.assign(new Error('Cannot find module mqtt'), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const { loadMqtt } = require('./lib/mqtt-source.js');
      const { AlertStream } = require('./lib/alert-stream.js');
      const registered = [];
      for (const n of ['ioc-server', 'ioc-alert', 'ioc-ack']) require('./nodes/' + n + '.js')({ nodes: { registerType: (t) => registered.push(t) } });
      new AlertStream({ baseUrl: 'http://127.0.0.1:9', token: 't', onAlert() {} });
      process.stdout.write(JSON.stringify({ mqtt: loadMqtt(), registered }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as unknown;
    expect(out).toEqual({ mqtt: null, registered: ['ioc-server', 'ioc alert', 'ioc ack'] });
  });
});
