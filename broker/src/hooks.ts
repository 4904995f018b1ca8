import { TLSSocket } from 'node:tls';
import type { AedesOptions, AedesPublishPacket, AuthenticateError, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { InternalClient } from './aedes-internals.js';
import { canSubscribe } from './auth/acl.js';
import { decideConnect, type AuthPolicy, type ConnectAttempt } from './auth/authenticate.js';
import { ClientState, type Totals } from './client-state.js';
import { BrokerError, BrokerErrorCode } from './errors.js';
import { forgetConnect } from './limits/framing.js';
import { Throttle } from './limits/throttle.js';
import { TokenBucket } from './limits/token-bucket.js';
import { LogLimiter } from './log-limiter.js';
import type { BrokerMetrics } from './metrics/broker-metrics.js';
import type { BrokerLimits } from './options.js';
import type { RefusalReason } from './refusals.js';
import type { SessionQueues } from './sessions/queues.js';

export interface HookContext {
  limits: Readonly<BrokerLimits>;
  policy: AuthPolicy;
  metrics: BrokerMetrics;
  totals: Totals;
  /** The session queues (set once aedes' persistence exists). */
  queues(): SessionQueues;
  log: Logger;
  /** Clock for rate limits, ms. */
  now(): number;
  /**
   * Routes a QoS 1 PUBLISH now (stored in every matching session queue, handed to online
   * subscribers), before aedes writes its PUBACK; aedes' own publish of it afterwards does nothing.
   * [MQTT-4.3.2-2] allows the PUBACK before the message is passed on; sending it after means an
   * acknowledged message is never only in the memory of a node that may crash.
   */
  routeBeforeAck(packet: PublishPacket, client: Client, done: (err?: Error) => void): void;
  /** Is a client with this id connected to this node now (before a new one replaces it)? */
  isConnected(clientId: string): boolean;
}

type Hooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'published'>>;

/** The PUBLISH whose in-flight slot a client holds, tagged so `published` releases exactly that slot. */
const INFLIGHT = Symbol('ioc.inflight');
type Tagged = { [INFLIGHT]?: ClientState | undefined };

export interface BrokerHooks {
  readonly hooks: Hooks;
  stateOf(client: Client): ClientState | undefined;
  /** Counts and logs a refusal (at most a few log lines per reason per 10 s). */
  refused(reason: RefusalReason, client: Client | undefined, detail?: string): void;
  /** Fails the PUBLISHes held since shutdown began, closing their connections unacknowledged. */
  releaseHeld(): void;
}

function refusal(reason: RefusalReason, message: string): BrokerError & { reason: RefusalReason } {
  return Object.assign(new BrokerError(BrokerErrorCode.REFUSED, message), { reason });
}

function authError(returnCode: AuthenticateError['returnCode'], message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

function certOf(conn: unknown): ConnectAttempt['cert'] {
  if (!(conn instanceof TLSSocket)) return undefined;
  const peer = conn.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const cn = peer.subject?.CN;
  return { verified: conn.authorized, cn: typeof cn === 'string' ? cn : undefined };
}

/** Was this message already written to `c` through another, overlapping subscription (aedes' dedupe)? */
function isFresh(c: InternalClient, p: AedesPublishPacket): boolean {
  return !p.brokerId || (c.duplicates[p.brokerId] ?? 0) < p.brokerCounter;
}

/**
 * The aedes hooks: authentication, authorization and limits, one small function per hook, deny by
 * default. Decisions live in auth/ (who may do what) and limits/ (how much); this file only adapts
 * them to aedes' callbacks and counts every refusal.
 */
export function brokerHooks(ctx: HookContext): BrokerHooks {
  const { limits: l, metrics, log } = ctx;
  const states = new WeakMap<Client, ClientState>();
  const keepalives = new WeakMap<Client, number>();
  const logLimiter = new LogLimiter();
  const held: (() => void)[] = [];

  function refused(reason: RefusalReason, client: Client | undefined, detail?: string): void {
    metrics.refusals[reason] += 1;
    const { log: shouldLog, suppressed } = logLimiter.allow(reason);
    if (!shouldLog) return;
    const remote = client?.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
    log.warn({ reason, clientId: client?.id ?? undefined, remote, detail, ...(suppressed ? { suppressed } : {}) }, 'mqtt refused');
  }

  function refuse(done: (err: Error) => void, reason: RefusalReason, client: Client, detail: string): void {
    refused(reason, client, detail);
    done(refusal(reason, `${reason}: ${detail}`));
  }

  /** Counts deliveries and unacknowledged QoS ≥ 1 messages per client, around aedes' own functions. */
  function wrapDelivery(c: InternalClient, st: ClientState): void {
    st.delivering = true;
    const deliver0 = c.deliver0;
    const deliverQoS = c.deliverQoS;
    c.deliver0 = (packet, done) => {
      if (isFresh(c, packet)) metrics.messagesOut[0]! += 1;
      deliver0(packet, done);
    };
    c.deliverQoS = (packet, done) => {
      if (packet.qos > 0 && isFresh(c, packet)) {
        metrics.messagesOut[packet.qos]! += 1;
        st.addOutstanding();
      }
      deliverQoS(packet, done);
    };
  }

  function admit(c: InternalClient, st: ClientState, viaCert: boolean): void {
    states.set(c, st);
    metrics.admitted += 1;
    const remote = c.conn.remoteAddress;
    if (ctx.isConnected(c.id)) {
      metrics.disconnects.takeover += 1;
      log.warn({ clientId: c.id, remote }, 'client id already connected: the newer connection wins, the older is closed [MQTT-3.1.4-2]');
    }
    log.info({ clientId: c.id, principal: st.principal, remote, viaCert }, 'mqtt client admitted');
  }

  const authenticate: Hooks['authenticate'] = (client, username, password, done) => {
    const c = client as InternalClient;
    const keepaliveSec = keepalives.get(client) ?? 0;
    keepalives.delete(client);
    forgetConnect(c._parser);
    const attempt: ConnectAttempt = { clientId: client.id, username, password, keepaliveSec, cert: certOf(c.conn) };
    decideConnect(attempt, ctx.policy).then((d) => {
      if (!d.ok) {
        refused(d.reason, client, d.detail);
        return done(authError(d.returnCode, d.reason), false);
      }
      if (!client.closed) admit(c, new ClientState(d.principal, d.username, ctx.totals), d.viaCert);
      done(null, true);
    }, (err: unknown) => done(authError(3, String(err)), false));
  };

  /** Hands an admitted PUBLISH on: QoS 1 is routed before its PUBACK (see HookContext.routeBeforeAck). */
  function route(packet: PublishPacket, client: Client, done: (err?: Error | null) => void): void {
    if (packet.qos === 1) ctx.routeBeforeAck(packet, client, done);
    else done(null);
  }

  function checkQueues(st: ClientState, client: Client, packet: PublishPacket & Tagged, done: (err?: Error | null) => void): void {
    ctx.queues().fullSessionFor(packet.topic).then(
      (full) => {
        if (full === undefined) return route(packet, client, done);
        packet[INFLIGHT] = undefined;
        st.releaseInflight();
        refuse(done, 'queue_full', client, `session ${full} holds ${l.queueLimit} messages`);
      },
      (err: unknown) => {
        log.warn({ err: String(err) }, 'session queue check failed; publish let through');
        route(packet, client, done);
      },
    );
  }

  /** Limits for a PUBLISH the rules allow: in-flight cap, then rate (throttle or refuse), then queues. */
  function admitPublish(st: ClientState, client: Client, packet: PublishPacket & Tagged, done: (err?: Error | null) => void): void {
    const now = ctx.now();
    if (packet.qos > 0 && st.inflight >= l.maxInflight) return refuse(done, 'inflight_exceeded', client, `${st.inflight} QoS ≥ 1 publishes in flight`);
    st.bucket ??= new TokenBucket(l.publishRatePerSec, l.publishBurst, now);
    const waitMs = st.bucket.reserve(now, l.maxThrottleMs);
    if (waitMs < 0) return refuse(done, 'rate_limited', client, `over ${l.publishRatePerSec}/s`);
    if (packet.qos > 0) {
      st.addInflight();
      packet[INFLIGHT] = st;
    }
    const checkQueue = packet.qos > 0 && ctx.queues().anyFull;
    // A client already being throttled queues behind its earlier PUBLISHes, keeping their order.
    const throttled = waitMs > 0 || (st.throttle?.pending ?? 0) > 0;
    if (!throttled && !checkQueue) return route(packet, client, done); // the common case: no closure
    const go = checkQueue ? () => checkQueues(st, client, packet, done) : () => route(packet, client, done);
    if (!throttled) return go();
    metrics.throttled += 1;
    (st.throttle ??= new Throttle(() => ctx.now())).schedule(now + waitMs, go);
  }

  const authorizePublish: Hooks['authorizePublish'] = (client, packet, done) => {
    if (client === null) return done(null); // the broker's own messages ($SYS, cluster bookkeeping)
    const st = states.get(client);
    if (!st || !st.mayPublish(packet.topic, packet.retain)) return refuse(done, 'publish_denied', client, packet.topic);
    if (client.closed) {
      // Its will, published as the connection closes: rules apply, limits do not. Anything else still
      // queued from the closed connection's last read is dropped unacknowledged (the publisher resends).
      return (client as { will?: unknown }).will === packet ? done(null) : done(new Error('connection closed'));
    }
    if (ctx.policy.closing()) {
      refused('shutting_down', client, packet.topic);
      held.push(() => done(refusal('shutting_down', 'broker shutting down')));
      return;
    }
    admitPublish(st, client, packet, done);
  };

  const published: Hooks['published'] = (packet, client, done) => {
    if (client) {
      metrics.messagesIn[packet.qos]! += 1;
      const tagged = packet as AedesPublishPacket & Tagged;
      const st = tagged[INFLIGHT];
      if (st) {
        tagged[INFLIGHT] = undefined;
        st.releaseInflight();
      }
    }
    done(null);
  };

  const hooks: Hooks = {
    preConnect(client, packet, done) {
      keepalives.set(client, packet.keepalive ?? 0);
      done(null, true);
    },
    authenticate,
    authorizePublish,
    authorizeSubscribe(client, sub, done) {
      const st = states.get(client);
      if (st && canSubscribe(st.principal, sub.topic)) {
        // Deliveries are counted from the first subscription on (aedes captures the delivery
        // functions when it subscribes), so a client that only publishes costs no wrappers.
        if (!st.delivering) wrapDelivery(client as InternalClient, st);
        return done(null, sub);
      }
      refused('subscribe_denied', client, sub.topic);
      done(null, null); // a null subscription: aedes answers SUBACK 0x80 and keeps the connection
    },
    published,
  };

  return {
    hooks,
    stateOf: (client) => states.get(client),
    refused,
    releaseHeld() {
      for (const fail of held.splice(0)) fail();
    },
  };
}
