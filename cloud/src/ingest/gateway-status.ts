import type { StateMessage } from '@ioc/protocol';

/** What the cloud knows of one gateway's liveness, from its state topic and its telemetry. */
export interface GatewayStatus {
  site: string;
  gateway: string;
  online: boolean;
  /** Epoch ms of the last message of any kind from the gateway. */
  lastSeen: number;
  agentVersion?: string;
}

/** In-memory view, rebuilt on start-up from the retained state messages the broker replays. */
export class GatewayStatusBoard {
  readonly #byGateway = new Map<string, GatewayStatus>();

  onState(site: string, gateway: string, state: StateMessage, now: number): void {
    const entry: GatewayStatus = { site, gateway, online: state.online, lastSeen: now };
    const version = state.agent?.version;
    if (version !== undefined) entry.agentVersion = version;
    this.#byGateway.set(`${site}/${gateway}`, entry);
  }

  onTelemetry(site: string, gateway: string, now: number): void {
    const key = `${site}/${gateway}`;
    const entry = this.#byGateway.get(key);
    if (entry) {
      entry.lastSeen = now;
      entry.online = true;
    } else {
      this.#byGateway.set(key, { site, gateway, online: true, lastSeen: now });
    }
  }

  list(): GatewayStatus[] {
    return [...this.#byGateway.values()].map((s) => ({ ...s }));
  }
}
