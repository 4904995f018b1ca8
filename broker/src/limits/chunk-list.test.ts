import { describe, expect, it } from 'vitest';
import { parser, generate, type Packet } from 'mqtt-packet';
import { prng } from '../test-support/helpers.js';
import { ChunkList } from './chunk-list.js';

describe('ChunkList', () => {
  it('reads, slices and consumes like one contiguous buffer, whatever the chunking (seeded random operations)', () => {
    const rand = prng(7);
    const int = (n: number): number => Math.floor(rand() * n);
    for (let round = 0; round < 200; round++) {
      const list = new ChunkList();
      let model = Buffer.alloc(0);
      for (let op = 0; op < 60; op++) {
        const kind = int(6);
        if (kind <= 1) {
          const chunk = Buffer.from(Array.from({ length: int(9) }, () => int(256)));
          list.append(chunk);
          model = Buffer.concat([model, chunk]);
        } else if (kind === 2) {
          const n = int(model.length + 2);
          list.consume(n);
          model = model.subarray(Math.min(n, model.length));
        } else if (kind === 3 && model.length > 0) {
          const at = int(model.length);
          expect(list.readUInt8(at)).toBe(model[at]);
          if (at + 2 <= model.length) expect(list.readUInt16BE(at)).toBe(model.readUInt16BE(at));
          if (at + 4 <= model.length) expect(list.readUInt32BE(at)).toBe(model.readUInt32BE(at));
        } else {
          const a = int(model.length + 3) - 1;
          const b = int(model.length + 3) - 1;
          expect(list.slice(a, b)).toEqual(Buffer.from(model.subarray(a < 0 ? a + model.length : a, b < 0 ? b + model.length : b)));
          expect(list.toString('latin1', 0, b)).toBe(model.subarray(0, Math.max(0, b < 0 ? b + model.length : b)).toString('latin1'));
        }
        expect(list.length).toBe(model.length);
      }
      expect(() => list.readUInt8(list.length)).toThrow(RangeError);
    }
  });

  it('carries mqtt-packet’s parser through packets split at every byte', () => {
    const packets: Packet[] = [
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'gw-01', username: 'gw-01', password: Buffer.from('s1') },
      { cmd: 'publish', topic: 'ioc/v1/site-a/gw-01/telemetry', payload: Buffer.from('x'.repeat(300)), qos: 1, messageId: 7, retain: false, dup: false },
      { cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: 'ioc/v1/site-a/gw-01/cmd/#', qos: 1 }] },
      { cmd: 'pingreq' },
    ];
    const bytes = Buffer.concat(packets.map((p) => generate(p)));
    for (let step = 1; step <= 40; step++) {
      const p = parser() as ReturnType<typeof parser> & { _list: unknown };
      p._list = new ChunkList();
      const got: string[] = [];
      p.on('packet', (pk: Packet) => got.push(pk.cmd === 'publish' ? `publish ${pk.topic} ${pk.payload.length}` : pk.cmd));
      for (let i = 0; i < bytes.length; i += step) p.parse(bytes.subarray(i, i + step));
      expect(got).toEqual(['connect', 'publish ioc/v1/site-a/gw-01/telemetry 300', 'subscribe', 'pingreq']);
    }
  });
});
