// Test support only: an in-memory RS-485 bus of fake slaves behind a ModbusTransport, for tests of the master and
// the poller under fake timers. (The byte-exact slave emulator is simulators/src/devices/modbus/; the edge does not
// import it.)
import { withCrc } from './crc.js';
import type { ModbusRtuMaster, ModbusTransport } from './master.js';

export interface FakeSlave {
  /** Holding registers (function 3) by address; unsigned 16-bit words. */
  holding?: Record<number, number>;
  /** Input registers (function 4) by address. */
  input?: Record<number, number>;
  /** Never answers. */
  dead?: boolean;
  /** Answer delay, ms (default 5). */
  delayMs?: number;
  /** Answers this exception code instead of data, when it returns one. */
  exception?: (fn: number, address: number, count: number) => number | undefined;
  /** The next N answers get a wrong CRC. */
  corruptNext?: number;
  /** Bytes sent just before each answer (line noise at bus turn-around). */
  noise?: Buffer;
}

export interface SeenRequest {
  /** Date.now() when the request was written (fake clock). */
  at: number;
  hex: string;
  unitId: number;
  fn: number;
  address: number;
  count: number;
}

export class FakeBus implements ModbusTransport {
  readonly requests: SeenRequest[] = [];
  /** While true, write() fails as a closed port does. */
  closed = false;
  master: ModbusRtuMaster | undefined;

  constructor(readonly slaves: Record<number, FakeSlave>) {}

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(Object.assign(new Error('port closed'), { code: 'IOC_ERR_SERIAL_CLOSED' }));
    const req = Buffer.from(bytes);
    const seen = { at: Date.now(), hex: req.toString('hex'), unitId: req[0] ?? 0, fn: req[1] ?? 0, address: req.readUInt16BE(2), count: req.readUInt16BE(4) };
    this.requests.push(seen);
    const slave = this.slaves[seen.unitId];
    if (slave && !slave.dead) {
      let answer = this.answer(slave, seen);
      if ((slave.corruptNext ?? 0) > 0) {
        slave.corruptNext = (slave.corruptNext ?? 0) - 1;
        answer = Buffer.from(answer);
        answer[answer.length - 1] = (answer[answer.length - 1] ?? 0) ^ 0x5a;
      }
      const bytesOut = slave.noise ? Buffer.concat([slave.noise, answer]) : answer;
      setTimeout(() => this.master?.receive(bytesOut), slave.delayMs ?? 5);
    }
    return Promise.resolve();
  }

  /** Requests seen for one unit. */
  of(unitId: number): SeenRequest[] {
    return this.requests.filter((r) => r.unitId === unitId);
  }

  private answer(slave: FakeSlave, { unitId, fn, address, count }: SeenRequest): Buffer {
    const table = fn === 3 ? slave.holding : fn === 4 ? slave.input : undefined;
    const exception = table === undefined ? 1 : slave.exception?.(fn, address, count);
    const words: number[] = [];
    for (let a = address; a < address + count && exception === undefined; a += 1) {
      const word = table?.[a];
      if (word === undefined) return withCrc(Buffer.from([unitId, fn | 0x80, 2]));
      words.push(word);
    }
    if (exception !== undefined) return withCrc(Buffer.from([unitId, fn | 0x80, exception]));
    const pdu = Buffer.alloc(3 + 2 * count);
    pdu.set([unitId, fn, 2 * count]);
    words.forEach((w, i) => pdu.writeUInt16BE(w, 3 + 2 * i));
    return withCrc(pdu);
  }
}
