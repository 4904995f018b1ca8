import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import type { BrokerLimits } from './options.js';
import { contractAccounts, sessionContract } from './sessions/session-contract.js';
import { Clients, closed, silentLog, tableVerifier } from './test-support/helpers.js';
import { startRedis, type TestRedis } from './test-support/redis.js';
import { tsExecArgv } from './test-support/ts-child.js';

/** Cluster mode against a real redis-server: two broker nodes sharing one Redis. */

let redis: TestRedis;
let db = 0;
const started: RunningBroker[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
// Redis pub/sub is not per database: nodes left running would hear the next test's traffic.
afterEach(async () => {
  children.splice(0).forEach((c) => c.kill('SIGKILL'));
  await Promise.all(started.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await redis.stop();
});

async function node(url: string, limits: Partial<BrokerLimits> = {}): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, log: silentLog, credentials: tableVerifier(contractAccounts), redisUrl: url, limits, shutdownGraceMs: 0 });
  started.push(b);
  return b;
}

/** Two nodes on a fresh Redis database. */
async function pair(limits: Partial<BrokerLimits> = {}): Promise<RunningBroker[]> {
  const url = redis.url(++db);
  return [await node(url, limits), await node(url, limits)];
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** A node in its own process (TypeScript sources, like the tests), to be killed with SIGKILL. */
async function processNode(url: string): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(path.join(here, 'test-support/cluster-node.ts'), [url, JSON.stringify(contractAccounts)], {
    execArgv: tsExecArgv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`cluster node exited with ${code}`)));
  });
  return { port, child };
}

describe('Redis session store, across two nodes', () => {
  sessionContract(pair);
});

describe('cluster', () => {
  const clients = new Clients();
  const ingest = { clientId: 'svc-ingest', username: 'svc-ingest', password: 'si' };
  const gw01 = { clientId: 'gw-01', username: 'gw-01', password: 's1' };
  const topic = 'ioc/v1/site-a/gw-01/telemetry';
  afterEach(() => clients.endAll());

  it('delivers to a subscriber on node A what is published on node B', async () => {
    const [a, b] = await pair();
    const sub = await clients.connect(a!.url, { ...ingest, clean: true });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.once('message', (_t, p) => resolve(p.toString())));
    const pub = await clients.connect(b!.url, gw01);
    await pub.publishAsync(topic, 'across', { qos: 1 });
    expect(await got).toBe('across');
  });

  it('closes the older connection on node A when the same client id connects to node B', async () => {
    const [a, b] = await pair();
    const older = await clients.connect(a!.url, gw01);
    const gone = closed(older);
    const newer = await clients.connect(b!.url, gw01);
    await gone;
    expect(newer.connected).toBe(true);
    expect(a!.stats().disconnects.takeover).toBe(1);
  });

  it('resumes sessions on the surviving node when a node is killed (SIGKILL) while clients are on it', async () => {
    const url = redis.url(++db);
    const survivor = await node(url);
    const doomed = await processNode(url);
    const doomedUrl = `mqtt://127.0.0.1:${doomed.port}`;

    const sub = await clients.connect(doomedUrl, { ...ingest, clean: false });
    await sub.subscribeAsync('ioc/v1/+/+/telemetry', { qos: 1 });
    const early = new Promise<string>((resolve) => sub.once('message', (_t, p) => resolve(p.toString())));
    const pub = await clients.connect(doomedUrl, { ...gw01, clean: false });
    await pub.publishAsync(topic, 'm0', { qos: 1 });
    expect(await early).toBe('m0');
    await sub.endAsync(); // the subscriber goes offline; its queue lives in Redis
    await pub.publishAsync(topic, 'm1', { qos: 1 });
    await pub.publishAsync(topic, 'm2', { qos: 1 });

    const pubGone = closed(pub);
    doomed.child.kill('SIGKILL');
    await pubGone;

    // the clients move to the surviving node
    const pub2 = await clients.connect(survivor.url, { ...gw01, clean: false });
    await pub2.publishAsync(topic, 'm3', { qos: 1 });
    const sub2 = await clients.connect(survivor.url, { ...ingest, clean: false });
    expect(sub2.connected).toBe(true);
    const got = await new Promise<string[]>((resolve) => {
      const all: string[] = [];
      sub2.on('message', (_t, p) => all.push(p.toString()) === 3 && resolve(all));
    });
    expect(got).toEqual(['m1', 'm2', 'm3']);
    // and the subscription itself was resumed from Redis: a new message arrives without resubscribing
    const next = new Promise<string>((resolve) => sub2.on('message', (_t, p) => resolve(p.toString())));
    await pub2.publishAsync(topic, 'm4', { qos: 1 });
    expect(await next).toBe('m4');
  });
});
