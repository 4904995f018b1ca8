import type { AedesPersistence } from '../aedes-internals.js';

/**
 * The broker's view of persistent-session queues, whatever persistence holds them (memory or Redis).
 * A session's queue holds the QoS ≥ 1 messages it has not acknowledged: queued while offline, or sent
 * and awaiting PUBACK. The broker consults this before acknowledging a QoS ≥ 1 PUBLISH, so that a
 * message is refused visibly rather than accepted and then dropped.
 */
export interface SessionQueues {
  /** True while at least one session is at its limit; while false the PUBLISH check costs nothing. */
  readonly anyFull: boolean;
  /** Sessions at their limit now. */
  readonly fullCount: number;
  /** Resolves to the id of a full session that a QoS ≥ 1 PUBLISH on `topic` would be queued for, if any. */
  fullSessionFor(topic: string): Promise<string | undefined>;
  /** Messages held in all sessions (in cluster mode: as last seen by this node). */
  totalQueued(): number;
  /** Retained messages stored. */
  retainedCount(): Promise<number>;
}

/** An aedes persistence together with the queue view over it. */
export interface SessionStore {
  readonly persistence: AedesPersistence;
  readonly queues: SessionQueues;
  /** Releases connections (Redis); the memory store has nothing to release. */
  close(): Promise<void>;
}

/**
 * An object with every method of `base` bound to it, for overriding a few. (Persistences keep
 * their state in #private fields, so their methods must run with `this` = the original.)
 */
export function delegateTo(base: object): AedesPersistence {
  const out: Record<string, unknown> = {};
  for (let proto: object | null = base; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in out) continue;
      const value = (base as Record<string, unknown>)[name];
      if (typeof value === 'function') out[name] = (value as (...a: unknown[]) => unknown).bind(base);
    }
  }
  return out as AedesPersistence;
}
