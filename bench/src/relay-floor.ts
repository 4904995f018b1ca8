/**
 * A yardstick, not a broker: the least a Node process must do to carry the broker bench's traffic — parse each
 * PUBLISH, check its topic's prefix, PUBACK it, forward it (QoS 1: under a new packet id) to the one subscriber, keep
 * it in flight until that subscriber's PUBACK — with one socket write per client per read. No authentication, no
 * topic matching, no sessions, no retained messages, no limits: what it costs per message is the floor under any
 * Node broker on this machine, so that "ours" can be judged against what Node allows, not only against Mosquitto.
 */
import net from 'node:net';
import { scanFrames } from './mqtt-frames.js';

export function startRelayFloor(): Promise<number> {
  let subscriber: net.Socket | undefined;
  let nextId = 1;
  const inflight = new Map<number, Buffer>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const acks: number[] = [];
      const forward: Buffer[] = [];
      const pos = scanFrames(buf, (first, body, end, start) => {
        const type = first & 0xf0;
        if (type === 0x10) socket.write(Buffer.from([0x20, 2, 0, 0])); // CONNECT → CONNACK accepted
        else if (type === 0x80) {
          subscriber = socket; // SUBSCRIBE → SUBACK granted QoS 1
          socket.write(Buffer.from([0x90, 3, buf[body]!, buf[body + 1]!, 1]));
        } else if (type === 0x30) {
          const topicLength = buf.readUInt16BE(body);
          if (buf.toString('latin1', body + 2, body + 2 + 7) !== 'ioc/v1/') {
            socket.destroy(); // a stand-in for a topic rule
            return false;
          }
          if (first & 0x06) {
            acks.push(buf.readUInt16BE(body + 2 + topicLength));
            const packet = Buffer.from(buf.subarray(start, end));
            const id = nextId;
            nextId = nextId === 65535 ? 1 : nextId + 1;
            packet.writeUInt16BE(id, body - start + 2 + topicLength);
            inflight.set(id, packet);
            forward.push(packet);
          } else forward.push(Buffer.from(buf.subarray(start, end)));
        } else if (type === 0x40) inflight.delete(buf.readUInt16BE(body));
        return true;
      });
      if (socket.destroyed) return;
      pending = buf.subarray(pos);
      if (acks.length) {
        const out = Buffer.allocUnsafe(acks.length * 4);
        acks.forEach((id, k) => out.writeUInt32BE(0x40020000 | id, k * 4));
        socket.write(out);
      }
      if (forward.length && subscriber) subscriber.write(Buffer.concat(forward));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}
