import { parseTopic } from '@ioc/protocol';
import type { Principal } from './principal.js';

/**
 * Topic rules, pure and synchronous so they can be tested exhaustively. Deny by default: anything not
 * explicitly allowed here is refused.
 */

const UPLINK_KINDS = new Set(['telemetry', 'state', 'config/ack']);
const INGEST_FILTERS = new Set(['ioc/v1/+/+/telemetry', 'ioc/v1/+/+/state', 'ioc/v1/+/+/config/ack']);

function ownsTopic(p: Extract<Principal, { kind: 'gateway' }>, site: string, gateway: string): boolean {
  return p.site === site && p.gateway === gateway;
}

/** Alert transitions for integrations: ioc/v1/alerts/{site}, published by the cloud only (site "alerts" is reserved). */
const ALERT_TOPIC = /^ioc\/v1\/alerts\/[a-z0-9][a-z0-9_-]{0,63}$/;

/** May `p` publish to `topic` (with the given retain flag)? */
export function canPublish(p: Principal, topic: string, retain: boolean): boolean {
  if (ALERT_TOPIC.test(topic)) return p.kind === 'service' && p.role === 'ingest' && !retain;
  const parsed = parseTopic(topic);
  if (!parsed.ok) return false;
  const { site, gateway, kind } = parsed.value;
  if (p.kind === 'gateway') {
    if (!ownsTopic(p, site, gateway) || !UPLINK_KINDS.has(kind)) return false;
    // Only the birth/will on .../state is retained; a retained telemetry batch would replay forever.
    return !retain || kind === 'state';
  }
  if (p.role === 'ingest') return kind === 'config' || kind === 'cmd';
  return false;
}

/**
 * May `p` subscribe to `filter`? Gateways get no wildcard but the one over their own commands
 * (`…/cmd/#` or `…/cmd/+`, docs/protocol.md); `$SYS` is closed to them (no rule allows it).
 */
export function canSubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'service') {
    if (p.role === 'ingest') return INGEST_FILTERS.has(filter);
    return filter === 'ioc/v1/+/+/state' || filter.startsWith('ioc/v1/alerts/');
  }
  const cmd = `ioc/v1/${p.site}/${p.gateway}/cmd/`;
  if (filter === `${cmd}#` || filter === `${cmd}+`) return true;
  const parsed = parseTopic(filter);
  if (!parsed.ok) return false;
  const { site, gateway, kind } = parsed.value;
  return ownsTopic(p, site, gateway) && (kind === 'config' || kind === 'cmd');
}
