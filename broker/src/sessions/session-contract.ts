import { afterEach, expect, it } from 'vitest';
import type { RunningBroker } from '../broker.js';
import type { BrokerLimits } from '../options.js';
import { Clients, closed, gateway, service, type Account } from '../test-support/helpers.js';

/**
 * What every session store (memory, Redis) must do, through the broker as clients see it. `nodes`
 * starts one or more broker nodes sharing one store (a fresh store per call); clients connect to
 * node i % nodes.length, so with two nodes every case also crosses nodes.
 */
export const contractAccounts: Record<string, Account> = {
  'gw-01': { secret: 's1', principal: gateway('site-a', 'gw-01') },
  'gw-02': { secret: 's2', principal: gateway('site-a', 'gw-02') },
  'svc-ingest': { secret: 'si', principal: service('svc-ingest', 'ingest') },
};

export function sessionContract(nodes: (limits: Partial<BrokerLimits>) => Promise<RunningBroker[]>): void {
  const clients = new Clients();
  const ingest = { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' };
  const gw01 = { clientId: 'gw-01', username: 'gw-01', password: 's1' };
  const topic = 'ioc/v1/site-a/gw-01/telemetry';
  afterEach(() => clients.endAll());

  /** Resolves with the first `n` payloads the client receives. */
  const collect = (c: Awaited<ReturnType<Clients['connect']>>, n: number): Promise<string[]> =>
    new Promise((resolve) => {
      const got: string[] = [];
      c.on('message', (_t, p) => got.push(p.toString()) === n && resolve(got));
    });

  it('queues QoS 1 messages for an offline persistent session and delivers them, in order, on its return', async () => {
    const [a, b = a] = await nodes({});
    const sub = await clients.connect(a!.url, { ...ingest, clean: false });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    await sub.endAsync();
    const pub = await clients.connect(b!.url, gw01);
    for (const m of ['m1', 'm2', 'm3']) await pub.publishAsync(topic, m, { qos: 1 });
    const back = await clients.connect(b!.url, { ...ingest, clean: false });
    expect(await collect(back, 3)).toEqual(['m1', 'm2', 'm3']);
  });

  it('refuses, before its PUBACK, a PUBLISH for a full session, delivers every accepted one, and accepts again once it drains', async () => {
    const limit = 3;
    const [a, b = a] = await nodes({ queueLimit: limit });
    const sub = await clients.connect(a!.url, { ...ingest, clean: false });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    await sub.endAsync();
    const pubA = await clients.connect(a!.url, gw01);
    await pubA.publishAsync(topic, 'm1', { qos: 1 });
    await pubA.endAsync();
    // The queue's depth is known once a message is queued, after its PUBACK: a PUBLISH sent in that
    // window may still be accepted. Whatever is accepted is delivered; the first refused is not acked.
    const pubB = await clients.connect(b!.url, gw01);
    const gone = closed(pubB).then(() => 'refused' as const);
    const accepted = ['m1'];
    for (let i = 2; i <= limit + 5; i++) {
      const outcome = await Promise.race([pubB.publishAsync(topic, `m${i}`, { qos: 1 }).then(() => 'acked' as const), gone]);
      if (outcome === 'refused') break;
      accepted.push(`m${i}`);
    }
    expect(accepted.length).toBeGreaterThanOrEqual(limit);
    expect(accepted.length).toBeLessThanOrEqual(limit + 2);
    expect(b!.stats().refusals.queue_full).toBe(1);

    const back = await clients.connect(a!.url, { ...ingest, clean: false });
    expect(await collect(back, accepted.length)).toEqual(accepted);
    const again = await clients.connect(b!.url, gw01);
    const more = collect(back, 1);
    await again.publishAsync(topic, 'after', { qos: 1 });
    expect(await more).toEqual(['after']);
  });

  it('drops the queue of a session that comes back clean [MQTT-3.1.2-6]', async () => {
    const [a, b = a] = await nodes({});
    const sub = await clients.connect(a!.url, { ...ingest, clean: false });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    await sub.endAsync();
    const pub = await clients.connect(b!.url, gw01);
    await pub.publishAsync(topic, 'stale', { qos: 1 });
    const clean = await clients.connect(a!.url, { ...ingest, clean: true });
    await clean.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const got = collect(clean, 1);
    await pub.publishAsync(topic, 'fresh', { qos: 1 });
    expect(await got).toEqual(['fresh']);
    await clean.endAsync();
    const persistent = await clients.connect(b!.url, { ...ingest, clean: false });
    await persistent.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const next = collect(persistent, 1);
    await pub.publishAsync(topic, 'later', { qos: 1 });
    expect(await next).toEqual(['later']);
  });

  it('keeps retained messages for later subscribers and counts them', async () => {
    const [a, b = a] = await nodes({});
    const pub = await clients.connect(a!.url, gw01);
    await pub.publishAsync('ioc/v1/site-a/gw-01/state', '{"online":true}', { qos: 1, retain: true });
    const sub = await clients.connect(b!.url, { ...ingest, clean: true });
    const got = collect(sub, 1);
    await sub.subscribeAsync('ioc/v1/+/+/state', { qos: 1 });
    expect(await got).toEqual(['{"online":true}']);
    expect(await b!.metrics()).toMatch(/^ioc_broker_retained_messages 1$/m);
  });
}
