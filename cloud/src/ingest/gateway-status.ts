import type { StateMessage } from '@ioc/protocol';

/** What the cloud knows of one gateway's liveness, from its state topic and its telemetry. */
export interface GatewayStatus {
  site: string;
  gateway: string;
  online: boolean;
  /** Epoch ms of the last message of any kind from the gateway. */
  lastSeen: number;
  agentVersion?: string;
  /** Readings waiting in the gateway's outbox, as it last reported (birth message). */
  outboxPending?: number;
  /** Readings the gateway dropped since its agent started, as it last reported. */
  outboxDropped?: number;
  /**
   * Arrival time minus the newest reading's ts, ms, for the last live (not historical) telemetry message: transit
   * delay plus the gateway clock's lag. Large means a slow path or a clock behind; negative, a clock ahead.
   */
  lastLagMs?: number;
  /** Arrival minus the `ts` of the last birth message received live, ms: an estimate of the gateway clock's error. */
  clockSkewMs?: number;
}

/** In-memory view, rebuilt on start-up from the retained state messages the broker replays. */
export class GatewayStatusBoard {
  /** site → gateway → status (no key strings built per message). */
  readonly #bySite = new Map<string, Map<string, GatewayStatus>>();

  /**
   * A state message arrived at `now`. `retained` is true when the broker replayed it on subscribing (it may be
   * old): its `ts` then says nothing about the gateway's clock.
   */
  onState(site: string, gateway: string, state: StateMessage, now: number, retained = false): void {
    const entry = this.#entry(site, gateway, now);
    entry.online = state.online;
    entry.lastSeen = now;
    if (!state.online) return; // a last will carries nothing else
    if (state.agent?.version !== undefined) entry.agentVersion = state.agent.version;
    if (state.outbox?.pending !== undefined) entry.outboxPending = state.outbox.pending;
    if (state.outbox?.dropped !== undefined) entry.outboxDropped = state.outbox.dropped;
    if (state.ts !== undefined && !retained) entry.clockSkewMs = now - state.ts;
  }

  /** A telemetry message arrived at `now`; `newestTs` is its greatest reading ts, `historical` its flag. */
  onTelemetry(site: string, gateway: string, now: number, newestTs?: number, historical = false): void {
    const entry = this.#entry(site, gateway, now);
    entry.lastSeen = now;
    entry.online = true;
    if (newestTs !== undefined && !historical) entry.lastLagMs = now - newestTs;
  }

  list(): GatewayStatus[] {
    return [...this.#bySite.values()].flatMap((gateways) => [...gateways.values()].map((s) => ({ ...s })));
  }

  #entry(site: string, gateway: string, now: number): GatewayStatus {
    let gateways = this.#bySite.get(site);
    if (!gateways) this.#bySite.set(site, (gateways = new Map<string, GatewayStatus>()));
    let entry = gateways.get(gateway);
    if (!entry) gateways.set(gateway, (entry = { site, gateway, online: true, lastSeen: now }));
    return entry;
  }
}
