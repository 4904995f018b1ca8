import { CloudError } from '../errors.js';
import type { AlertHub } from './hub.js';
import type { AlertEvent } from './types.js';

/** What people do to alerts (the API's ack and resolve). The rules engine wires itself in here. */
export interface AlertActions {
  acknowledge(alertId: string, actor: string, note: string | undefined, now: number): AlertEvent;
  resolve(alertId: string, actor: string, note: string | undefined, now: number): AlertEvent;
}

/**
 * Acknowledge and resolve by hand, as transitions through the hub (stored, then delivered). `onResolved`
 * lets the rules engine forget the alert, so the next crossing opens a new one.
 */
export function hubActions(hub: AlertHub, onResolved: (alertId: string) => void = () => undefined): AlertActions {
  const current = (id: string) => {
    const alert = hub.store.get(id);
    if (!alert) throw new CloudError('IOC_ERR_NOT_FOUND', `alert ${id} does not exist`);
    return alert;
  };
  const base = (id: string) => {
    const a = current(id);
    return { alertId: a.id, ruleId: a.ruleId, ruleName: a.ruleName, severity: a.severity, subject: a.subject, message: a.message };
  };
  return {
    acknowledge(id, actor, note, now) {
      const a = current(id);
      if (a.state !== 'open') throw new CloudError('IOC_ERR_CONFLICT', `alert ${id} is ${a.state}, not open`);
      return hub.publish({ ...base(id), type: 'acknowledged', state: 'acknowledged', at: now, actor, ...(note ? { note } : {}) });
    },
    resolve(id, actor, note, now) {
      const a = current(id);
      if (a.state === 'resolved') throw new CloudError('IOC_ERR_CONFLICT', `alert ${id} is already resolved`);
      const event = hub.publish({ ...base(id), type: 'resolved', state: 'resolved', at: now, actor, ...(note ? { note } : {}) });
      onResolved(id);
      return event;
    },
  };
}
