import type { AedesPublishPacket, Client } from 'aedes';
import type { Socket } from 'node:net';

/**
 * The few internals of aedes 1.2 and mqtt-packet 9 the broker relies on, typed in one place. Each
 * use is covered by a test against a real listening broker, so an upgrade that moves them fails loudly.
 */

/** mqtt-packet's streaming parser, one per connection (`client._parser`). */
export interface MqttParser {
  /** The CONNECT packet once parsed (mqtt-packet keeps it to know the protocol version). */
  settings: { protocolVersion?: number; bridgeMode?: boolean };
  /** The packet being parsed; `length` is its remaining length once the length prefix is read. */
  packet: { length: number };
  error: Error | null;
  /** Parses the remaining-length prefix; true when complete. */
  _parseLength(): boolean;
  /** Records a parse error and emits 'error' (aedes then closes the connection). */
  _emitError(err: Error): void;
}

/** An aedes message delivery function (`client.deliver0`, `client.deliverQoS`). */
export type Deliver = (packet: AedesPublishPacket, done: () => void) => void;

/** An aedes Client with the internals we use. */
export interface InternalClient extends Client {
  readonly conn: Socket;
  _parser: MqttParser;
  /** Writes a message at QoS 0; captured by each subscription when it is made. */
  deliver0: Deliver;
  /** Writes a message at QoS ≥ 1 (or hands a QoS 0 one to deliver0). */
  deliverQoS: Deliver;
  /** Highest brokerCounter delivered per broker id, aedes' de-duplication of overlapping subscriptions. */
  readonly duplicates: Record<string, number>;
  /** Removes the stream.finished() listeners aedes put on the socket (it calls this in close()). */
  _eos: () => void;
}

/** The aedes persistence API (aedes-persistence 11, promise style) as the broker calls it. */
export interface AedesPersistence {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: AedesPublishPacket): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: AedesPublishPacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPublishPacket): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: OutgoingPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<OutgoingPacket | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<OutgoingPacket>;
  subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string; qos: number }[]>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
  destroy?(): Promise<void>;
  [method: string]: unknown;
}

/** A packet in a session's outgoing queue: a PUBLISH (with its broker id and counter) or a PUBREL. */
export interface OutgoingPacket {
  cmd?: string;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  topic?: string;
  qos?: number;
  [field: string]: unknown;
}
