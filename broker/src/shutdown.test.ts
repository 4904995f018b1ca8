import { describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import { startBroker } from './broker.js';
import { Clients, gateway, service, silentLog, tableVerifier } from './test-support/helpers.js';

/** Graceful shutdown lets QoS 1 messages in flight finish. */

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('close()', () => {
  it('waits for subscribers to acknowledge what publishers were acknowledged, refusing new PUBLISHes meanwhile', async () => {
    const broker = await startBroker({
      port: 0,
      log: silentLog,
      shutdownGraceMs: 20_000,
      credentials: tableVerifier({
        'gw-01': { secret: 's1', principal: gateway('site-a', 'gw-01') },
        'svc-ingest': { secret: 'si', principal: service('svc-ingest', 'ingest') },
      }),
    });
    const clients = new Clients();
    const sub = await clients.connect(broker.url, { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' });
    const held: (() => void)[] = [];
    const received: string[] = [];
    let released = false;
    // mqtt.js hands messages over one at a time: holding the first PUBACK holds them all
    sub.handleMessage = (packet: IPublishPacket, ack: () => void) => {
      received.push(packet.payload.toString());
      if (released) ack();
      else held.push(ack);
    };
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const pub = await clients.connect(broker.url, { clientId: 'gw-01', username: 'gw-01', password: 's1' });
    for (let i = 0; i < 5; i++) await pub.publishAsync('ioc/v1/site-a/gw-01/telemetry', `m${i}`, { qos: 1 });
    await until(() => held.length === 1 && broker.stats().unacknowledged === 5);

    let closedAfterRelease: boolean | undefined;
    const closing = broker.close().then(() => (closedAfterRelease = released));
    let lateAcked = false;
    pub.publishAsync('ioc/v1/site-a/gw-01/telemetry', 'late', { qos: 1 }).then(() => (lateAcked = true), () => {});
    await until(() => broker.stats().refusals.shutting_down === 1);
    released = true;
    held.forEach((ack) => ack());
    await closing;

    expect(closedAfterRelease).toBe(true);
    expect(received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(lateAcked).toBe(false);
    expect(broker.stats().unacknowledged).toBe(0);
    expect(broker.stats().disconnects.shutdown).toBe(2);
    await clients.endAll();
  });
});
