import { Readable } from 'node:stream';
import type { AedesPublishPacket } from 'aedes';
import type { AedesPersistence, OutgoingPacket } from '../aedes-internals.js';
import { delegateTo, type SessionStore } from './queues.js';

type Key = number | string;
/** Topics whose matching sessions are remembered (cleared whole when full). */
const TOPIC_CACHE_MAX = 10_000;

/** A copy of a PUBLISH for a queue, as aedes-packet makes it (the message id is per session). */
function copyForQueue(p: AedesPublishPacket): OutgoingPacket {
  const out: OutgoingPacket = {
    cmd: p.cmd || 'publish',
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    topic: p.topic,
    payload: p.payload,
    qos: p.qos,
    retain: p.retain,
    dup: p.dup,
    messageId: undefined,
  };
  if ('clientId' in p) out.clientId = (p as { clientId?: string }).clientId;
  if ('properties' in p) out.properties = p.properties;
  return out;
}

/**
 * One session's outgoing queue. A Map keeps insertion (delivery) order and finds a message by its
 * broker counter or by its MQTT message id in O(1); aedes-persistence's array scans both ways.
 */
class OutgoingQueue {
  readonly byKey = new Map<Key, OutgoingPacket>();
  readonly byMessageId = new Map<number, Key>();
}

/**
 * Wraps aedes' own in-memory persistence (passed in, as aedes created it): the outgoing queues are
 * replaced by indexed ones that know their depth, a clean session drops its queue [MQTT-3.1.2-6]
 * (aedes-persistence keeps it forever), and retained topics are counted.
 */
export function memorySessions(base: AedesPersistence, brokerId: string, queueLimit: number): SessionStore {
  const queues = new Map<string, OutgoingQueue>();
  const full = new Set<string>();
  const retained = new Set<string>();
  let total = 0;
  const keyOf = (p: OutgoingPacket): Key => (p.brokerId === brokerId ? (p.brokerCounter ?? 0) : `${p.brokerId}:${p.brokerCounter}`);

  function enqueue(clientId: string, packet: AedesPublishPacket): void {
    let q = queues.get(clientId);
    if (!q) queues.set(clientId, (q = new OutgoingQueue()));
    const copy = copyForQueue(packet);
    const key = keyOf(copy);
    if (q.byKey.has(key)) return; // the same message through two overlapping subscriptions
    q.byKey.set(key, copy);
    total += 1;
    if (q.byKey.size >= queueLimit) full.add(clientId);
  }

  function removed(clientId: string, q: OutgoingQueue, n: number): void {
    total -= n;
    if (q.byKey.size < queueLimit) full.delete(clientId);
    if (q.byKey.size === 0) queues.delete(clientId);
  }

  // Every QoS ≥ 1 PUBLISH asks which persistent sessions its topic matches; the answer changes only
  // with subscriptions, so it is remembered per topic until the next (un)subscription.
  type Subs = Awaited<ReturnType<AedesPersistence['subscriptionsByTopic']>>;
  const byTopic = new Map<string, Subs>();
  const changed = <A extends unknown[]>(method: (...a: A) => Promise<unknown>) => async (...args: A) => {
    byTopic.clear();
    return method(...args);
  };

  const persistence = delegateTo(base);
  Object.assign(persistence, {
    async subscriptionsByTopic(topic: string) {
      let subs = byTopic.get(topic);
      if (!subs) {
        subs = await base.subscriptionsByTopic(topic);
        if (byTopic.size >= TOPIC_CACHE_MAX) byTopic.clear();
        byTopic.set(topic, subs);
      }
      return subs;
    },
    // (the bound delegates, read before this assignment replaces them)
    addSubscriptions: changed(persistence.addSubscriptions as (...a: unknown[]) => Promise<unknown>),
    removeSubscriptions: changed(persistence.removeSubscriptions as (...a: unknown[]) => Promise<unknown>),
    async outgoingEnqueue(sub: { clientId: string }, packet: AedesPublishPacket) {
      enqueue(sub.clientId, packet);
    },
    async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPublishPacket) {
      for (const sub of subs) enqueue(sub.clientId, packet);
    },
    /** A PUBLISH gets its message id for this session; a PUBREL replaces the PUBLISH of its id (QoS 2). */
    async outgoingUpdate(client: { id: string }, packet: OutgoingPacket) {
      const q = queues.get(client.id);
      const key = packet.brokerId !== undefined ? keyOf(packet) : undefined;
      const entry = key !== undefined ? q?.byKey.get(key) : undefined;
      if (q && key !== undefined && entry) {
        if (entry.messageId !== undefined) q.byMessageId.delete(entry.messageId);
        entry.messageId = packet.messageId;
        if (packet.messageId !== undefined) q.byMessageId.set(packet.messageId, key);
        return;
      }
      const byId = packet.messageId !== undefined ? q?.byMessageId.get(packet.messageId) : undefined;
      if (q && byId !== undefined) {
        q.byKey.set(byId, packet); // Map.set on an existing key keeps its position
        return;
      }
      throw new Error('no such packet');
    },
    async outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }) {
      const q = queues.get(client.id);
      if (!q || packet.messageId === undefined) return undefined;
      const key = q.byMessageId.get(packet.messageId);
      if (key === undefined) return undefined;
      q.byMessageId.delete(packet.messageId);
      const entry = q.byKey.get(key);
      q.byKey.delete(key);
      removed(client.id, q, 1);
      return entry;
    },
    outgoingStream(client: { id: string }) {
      return Readable.from([...(queues.get(client.id)?.byKey.values() ?? [])]);
    },
    async cleanSubscriptions(client: { id: string }) {
      byTopic.clear();
      await base.cleanSubscriptions(client);
      const q = queues.get(client.id);
      if (!q) return;
      const n = q.byKey.size;
      q.byKey.clear();
      q.byMessageId.clear();
      removed(client.id, q, n);
    },
    async storeRetained(packet: AedesPublishPacket) {
      await base.storeRetained(packet);
      if (packet.payload.length === 0) retained.delete(packet.topic);
      else retained.add(packet.topic);
    },
  });

  return {
    persistence,
    queues: {
      get anyFull() {
        return full.size > 0;
      },
      get fullCount() {
        return full.size;
      },
      async fullSessionFor(topic) {
        if (full.size === 0) return undefined;
        const subs = await (persistence.subscriptionsByTopic as (t: string) => Promise<{ clientId: string }[]>)(topic);
        return subs.find((s) => full.has(s.clientId))?.clientId;
      },
      totalQueued: () => total,
      retainedCount: async () => retained.size,
    },
    close: async () => {},
  };
}
