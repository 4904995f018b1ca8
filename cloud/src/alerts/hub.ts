import type { AlertStore } from './store.js';
import type { AlertEvent, AlertTransition } from './types.js';

export type AlertListener = (event: AlertEvent) => void;

/**
 * Where the rules engine's transitions enter the IOC side: each is stored first (so it has an event id
 * and survives a crash), then handed to every live listener (SSE clients, the webhook and MQTT
 * dispatchers). A listener that throws is isolated from the others.
 */
export class AlertHub {
  readonly #store: AlertStore;
  readonly #listeners = new Set<AlertListener>();
  readonly #onListenerError: (err: unknown) => void;

  constructor(store: AlertStore, onListenerError: (err: unknown) => void = () => undefined) {
    this.#store = store;
    this.#onListenerError = onListenerError;
  }

  get store(): AlertStore {
    return this.#store;
  }

  publish(t: AlertTransition): AlertEvent {
    const event = this.#store.record(t);
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
    return event;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AlertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
