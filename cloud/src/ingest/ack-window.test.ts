import { describe, expect, it } from 'vitest';
import { AckWindow } from './ack-window.js';

function harness(maxMessages = 100, maxBytes = 1_000_000) {
  const acks: [number, number[]][] = [];
  const events: string[] = [];
  const window = new AckWindow({
    maxMessages,
    maxBytes,
    acknowledge: (session, ids) => acks.push([session, ids]),
    full: () => events.push('full'),
    room: () => events.push('room'),
  });
  return { window, acks, events };
}

describe('AckWindow', () => {
  it('acknowledges in arrival order: a settled message waits for the older ones', () => {
    const { window, acks } = harness();
    const [a, b, c] = [window.add(1, 10, 1), window.add(1, 11, 1), window.add(1, 12, 1)];
    c.settle();
    b.settle();
    expect(acks).toEqual([]);
    a.settle();
    expect(acks).toEqual([[1, [10, 11, 12]]]);
    expect(window.messages).toBe(0);
  });

  it('sends one batch per release, skipping QoS 0 messages, and settles only once', () => {
    const { window, acks } = harness();
    const a = window.add(1, 1, 1);
    const q0 = window.add(1, undefined, 1);
    const b = window.add(1, 2, 1);
    q0.settle();
    a.settle();
    a.settle();
    expect(acks).toEqual([[1, [1]]]);
    b.settle();
    expect(acks).toEqual([[1, [1]], [1, [2]]]);
  });

  it('fills at maxMessages, and has room again at half', () => {
    const { window, events } = harness(4);
    const tickets = [1, 2, 3, 4].map((id) => window.add(1, id, 1));
    expect(events).toEqual(['full']);
    expect(window.isFull).toBe(true);
    tickets[0]?.settle();
    expect(events).toEqual(['full']); // 3 left: more than half
    tickets[1]?.settle();
    expect(events).toEqual(['full', 'room']);
  });

  it('fills at maxBytes of unsettled payload', () => {
    const { window, events } = harness(100, 1000);
    const big = window.add(1, 1, 600);
    window.add(1, 2, 500);
    expect(events).toEqual(['full']);
    big.settle(); // 500 bytes unsettled: not yet at half of 1000 … exactly half is room
    expect(events).toEqual(['full', 'room']);
  });

  it('forgets everything on reset: old tickets acknowledge nothing', () => {
    const { window, acks, events } = harness(2);
    const old = window.add(1, 7, 1);
    window.add(1, 8, 1);
    window.reset();
    expect(events).toEqual(['full', 'room']);
    old.settle();
    expect(acks).toEqual([]);
    const fresh = window.add(2, 7, 1);
    fresh.settle();
    expect(acks).toEqual([[2, [7]]]);
  });

  it('stays in order over many messages settled at random', () => {
    const { window, acks } = harness(100_000);
    const tickets = Array.from({ length: 5000 }, (_, i) => window.add(3, (i % 65535) + 1, 10));
    let seed = 42;
    const order = tickets.map((t) => ({ t, k: (seed = (seed * 1103515245 + 12345) % 2 ** 31) }));
    order.sort((x, y) => x.k - y.k);
    for (const { t } of order) t.settle();
    expect(acks.flatMap(([, ids]) => ids)).toEqual(tickets.map((_, i) => (i % 65535) + 1));
    expect(window.messages).toBe(0);
  });
});
