import { Redis } from 'ioredis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import MQEmitterRedis from 'mqemitter-redis';
import type { AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { AedesPersistence } from '../aedes-internals.js';
import { BrokerError, BrokerErrorCode } from '../errors.js';
import { MQ_CONCURRENCY } from '../options.js';
import { delegateTo, type SessionStore } from './queues.js';

/** aedes-persistence-redis 12 key layout (single Redis, not Redis Cluster): a list per session, a hash of retained. */
const outgoingKey = (clientId: string): string => `outgoing:${encodeURIComponent(clientId)}`;
const RETAINED_KEY = 'retained';

export interface RedisSessionStore extends SessionStore {
  /** mqemitter-redis: routes messages between the broker nodes sharing this Redis. */
  readonly mq: unknown;
}

function connection(url: string, log: Logger, role: string): Redis {
  const conn = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: role !== 'mq-sub' });
  let lastError = '';
  conn.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ role, err: err.message }, 'redis connection error');
    lastError = err.message;
  });
  conn.on('ready', () => {
    if (lastError) log.info({ role }, 'redis connection restored');
    lastError = '';
  });
  return conn;
}

async function connectAll(conns: Redis[], url: string): Promise<void> {
  try {
    await Promise.all(conns.map((c) => c.connect()));
  } catch (err) {
    conns.forEach((c) => c.disconnect());
    const where = url.replace(/\/\/[^@]*@/, '//'); // never echo a password
    throw new BrokerError(BrokerErrorCode.CLUSTER, `cannot reach Redis at ${where}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Cluster mode: aedes-persistence-redis holds sessions, subscriptions, retained messages and QoS 1
 * queues, mqemitter-redis carries messages between nodes. Queue depth is read from Redis (LLEN)
 * after each enqueue, so every node sees a session fill up whichever node queued into it.
 */
export async function redisSessions(url: string, queueLimit: number, log: Logger): Promise<RedisSessionStore> {
  const db = connection(url, log, 'persistence');
  const pub = connection(url, log, 'mq-pub');
  const sub = connection(url, log, 'mq-sub');
  await connectAll([db, pub, sub], url);
  const mq = MQEmitterRedis({ pubConn: pub, subConn: sub, concurrency: MQ_CONCURRENCY });
  // Enough to hand a reconnecting session its whole queue, including what passed the limit in flight.
  const base = aedesPersistenceRedis({ conn: db, maxSessionDelivery: queueLimit * 2 + 1000 }) as unknown as AedesPersistence;

  const full = new Set<string>(); // sessions last measured at or over the limit
  const depths = new Map<string, number>();
  async function measure(clientId: string): Promise<number> {
    const depth = await db.llen(outgoingKey(clientId));
    if (depth > 0) depths.set(clientId, depth);
    else depths.delete(clientId);
    if (depth >= queueLimit) full.add(clientId);
    else full.delete(clientId);
    return depth;
  }
  const measureAll = async (subs: { clientId: string }[]): Promise<void> => {
    await Promise.all([...new Set(subs.map((s) => s.clientId))].map(measure));
  };

  const persistence = delegateTo(base);
  Object.assign(persistence, {
    async outgoingEnqueue(s: { clientId: string }, packet: AedesPublishPacket) {
      await base.outgoingEnqueue(s, packet);
      await measure(s.clientId);
    },
    async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPublishPacket) {
      await base.outgoingEnqueueCombi(subs, packet);
      if (subs.length > 0) await measureAll(subs);
    },
    async outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }) {
      const cleared = await base.outgoingClearMessageId(client, packet);
      if (full.has(client.id) || depths.has(client.id)) await measure(client.id);
      return cleared;
    },
    async cleanSubscriptions(client: { id: string }) {
      await base.cleanSubscriptions(client);
      await measure(client.id);
    },
  });

  return {
    persistence,
    mq,
    queues: {
      get anyFull() {
        return full.size > 0;
      },
      get fullCount() {
        return full.size;
      },
      /** Re-measures a session believed full: it may have drained through another node. */
      async fullSessionFor(topic) {
        if (full.size === 0) return undefined;
        for (const s of await base.subscriptionsByTopic(topic)) {
          if (full.has(s.clientId) && (await measure(s.clientId)) >= queueLimit) return s.clientId;
        }
        return undefined;
      },
      totalQueued: () => [...depths.values()].reduce((a, b) => a + b, 0),
      retainedCount: () => db.hlen(RETAINED_KEY),
    },
    async close() {
      // aedes.close() has closed mq and its two connections; the persistence's is ours to end
      // (its destroy() would unsubscribe from the closed mq first).
      await db.quit().catch(() => db.disconnect());
    },
  };
}
