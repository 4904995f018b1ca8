/**
 * Typings for aedes-persistence-redis 12, which ships none. Only what the broker uses: the factory,
 * whose instance speaks the aedes persistence API (promise style when called without a callback).
 */
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  interface AedesPersistenceRedisOptions {
    /** A connection of our own (so we can listen for its errors and close it). */
    conn?: Redis;
    /** Messages of a session sent at once when it reconnects; default 1000. */
    maxSessionDelivery?: number;
    /** Seconds a queued message lives; default: forever. */
    packetTTL?: (packet: unknown) => number;
  }

  /** Creates a persistence; aedes calls its async `setup(broker)` itself. */
  function aedesPersistenceRedis(opts?: AedesPersistenceRedisOptions): Record<string, unknown>;
  export = aedesPersistenceRedis;
}
