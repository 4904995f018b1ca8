// The slave simulator on a real pty pair, questioned by a minimal master written here: its own CRC, its own request
// builder and its own response decoder, so the simulator's frames are checked by a second reading of the standard.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../serial/pty-pair.js';
import { openTtyPort, type TtyPort } from '../../serial/tty-port.js';
import { gasAnalyserUnit, waterProbeUnit, weatherStationUnit } from './profiles.js';
import { ModbusSlaveSimulator, type ModbusUnitDef } from './simulator.js';

/** CRC-16/MODBUS, the test's own: shift right, xor 0xA001 on a carry. */
function crc(bytes: Uint8Array): number {
  let c = 0xffff;
  for (const b of bytes) {
    c ^= b;
    for (let i = 0; i < 8; i += 1) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  }
  return c;
}

function frame(bytes: number[]): Buffer {
  const c = crc(Uint8Array.from(bytes));
  return Buffer.from([...bytes, c & 0xff, c >>> 8]);
}

const readRequest = (unit: number, fn: number, address: number, count: number): Buffer =>
  frame([unit, fn, address >> 8, address & 0xff, count >> 8, count & 0xff]);

type Answer =
  | { kind: 'data'; unit: number; fn: number; words: number[] }
  | { kind: 'exception'; unit: number; fn: number; code: number }
  | { kind: 'echo'; unit: number; address: number; value: number }
  | { kind: 'bad-crc' };

/** Decodes one complete response frame. */
function decode(bytes: Buffer): Answer {
  const body = bytes.subarray(0, bytes.length - 2);
  if (crc(body) !== bytes.readUInt16LE(bytes.length - 2)) return { kind: 'bad-crc' };
  const unit = bytes[0] ?? -1;
  const fn = bytes[1] ?? -1;
  if (fn & 0x80) return { kind: 'exception', unit, fn: fn & 0x7f, code: bytes[2] ?? -1 };
  if (fn === 6) return { kind: 'echo', unit, address: bytes.readUInt16BE(2), value: bytes.readUInt16BE(4) };
  const words: number[] = [];
  for (let i = 0; i < (bytes[2] ?? 0) / 2; i += 1) words.push(bytes.readUInt16BE(3 + 2 * i));
  return { kind: 'data', unit, fn, words };
}

const f32 = (hi: number, lo: number): number => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  return b.readFloatBE(0);
};
const s16 = (w: number): number => (w >= 0x8000 ? w - 0x10000 : w);

class Master {
  private rx = Buffer.alloc(0);
  constructor(private readonly port: TtyPort) {
    port.onData((c) => (this.rx = Buffer.concat([this.rx, c])));
  }
  /** Sends `request`, then collects `expectedLength` bytes (or whatever came after `waitMs` of silence). */
  async ask(request: Buffer, expectedLength: number, waitMs = 2000): Promise<Buffer> {
    this.rx = Buffer.alloc(0);
    await this.port.write(request);
    const deadline = Date.now() + waitMs;
    while (this.rx.length < expectedLength && Date.now() < deadline) await sleep(5);
    return this.rx;
  }
  async silence(ms: number): Promise<Buffer> {
    await sleep(ms);
    return this.rx;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let dir: string;
let pair: PtyPair;
let port: TtyPort;
let master: Master;
let sim: ModbusSlaveSimulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-modbus-sim-'));
  pair = await openPtyPair(dir);
  port = await openTtyPort(pair.hostPath);
  master = new Master(port);
});

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await port.close();
  await pair.close();
  await rm(dir, { recursive: true, force: true });
});

async function startSim(units: ModbusUnitDef[], extra: Partial<ConstructorParameters<typeof ModbusSlaveSimulator>[0]> = {}): Promise<ModbusSlaveSimulator> {
  sim = new ModbusSlaveSimulator({ path: pair.devicePath, units, ...extra });
  await sim.start();
  return sim;
}

const FIXED: ModbusUnitDef = {
  unitId: 1,
  holding: [
    { address: 0, type: 'uint16', value: 300 },
    { address: 1, type: 'uint16', value: 100 },
    { address: 2, type: 'int16', scale: 0.1, value: -3.5 },
    { address: 3, type: 'int32', wordOrder: 'little', value: -2 },
    { address: 5, type: 'float32', value: 7.25 },
  ],
  input: [{ address: 100, type: 'uint32', value: 123_456_789 }],
};

describe('ModbusSlaveSimulator', () => {
  it('answers the worked request of SENSOR-PROTOCOLS.md with the worked response, byte for byte', async () => {
    await startSim([FIXED]);
    const reply = await master.ask(readRequest(1, 3, 0, 2), 9);
    expect(reply.toString('hex')).toBe('010304012c00643bed');
  });

  it('encodes every type and word order of its map, holding and input registers', async () => {
    await startSim([FIXED]);
    const holding = decode(await master.ask(readRequest(1, 3, 0, 7), 5 + 14));
    expect(holding.kind).toBe('data');
    const w = holding.kind === 'data' ? holding.words : [];
    expect([w[0], w[1], s16(w[2] ?? 0)]).toEqual([300, 100, -35]);
    expect(w.slice(3, 5)).toEqual([0xfffe, 0xffff]); // int32 −2, low word first
    expect(f32(w[5] ?? 0, w[6] ?? 0)).toBe(7.25);
    expect(decode(await master.ask(readRequest(1, 4, 100, 2), 9))).toEqual({ kind: 'data', unit: 1, fn: 4, words: [0x075b, 0xcd15] });
  });

  it('answers several unit ids and stays silent for one it does not have', async () => {
    const s = await startSim([gasAnalyserUnit(1), weatherStationUnit(2), waterProbeUnit(3)], { clock: () => new Date('2025-01-15T07:00:00Z') });
    const gas = decode(await master.ask(readRequest(1, 4, 0, 7), 5 + 14));
    const weather = decode(await master.ask(readRequest(2, 3, 0, 7), 5 + 14));
    const water = decode(await master.ask(readRequest(3, 3, 0, 6), 5 + 12));
    if (gas.kind !== 'data' || weather.kind !== 'data' || water.kind !== 'data') throw new Error('expected data');
    const no2 = f32(gas.words[0] ?? 0, gas.words[1] ?? 0);
    expect(no2).toBeGreaterThanOrEqual(25);
    expect(no2).toBeLessThanOrEqual(70);
    expect((gas.words[6] ?? 0) * 11.456).toBeGreaterThan(500); // CO in 0.01 ppm → µg/m³
    expect((weather.words[0] ?? 0) / 10).toBeGreaterThan(60); // humidity %
    expect(s16(weather.words[1] ?? 0) / 10).toBeGreaterThan(20); // °C at 14:00 local
    expect((weather.words[2] ?? 0) / 10).toBeCloseTo(1012, -1); // hPa
    const ph = f32(water.words[1] ?? 0, water.words[0] ?? 0); // low word first
    expect(ph).toBeGreaterThan(6.8);
    expect(ph).toBeLessThan(7.7);

    expect(await master.ask(readRequest(4, 3, 0, 1), 7, 200)).toHaveLength(0);
    s.setUnitOnline(2, false);
    expect(await master.ask(readRequest(2, 3, 0, 1), 7, 200)).toHaveLength(0);
    expect(s.stats()).toMatchObject({ requests: 3, replies: 3, ignored: 2 });
  });

  it('answers exception 02 for an unmapped address, 03 for a bad quantity, 01 for another function, 04 when failing', async () => {
    await startSim([FIXED, { unitId: 9, failing: true, holding: [{ address: 0, type: 'uint16', value: 1 }] }]);
    expect(decode(await master.ask(readRequest(1, 3, 6, 2), 5))).toEqual({ kind: 'exception', unit: 1, fn: 3, code: 2 }); // 7 is unmapped
    expect(decode(await master.ask(readRequest(1, 4, 0, 1), 5))).toEqual({ kind: 'exception', unit: 1, fn: 4, code: 2 });
    expect(decode(await master.ask(readRequest(1, 3, 0, 0), 5))).toEqual({ kind: 'exception', unit: 1, fn: 3, code: 3 });
    expect(decode(await master.ask(readRequest(1, 3, 0, 126), 5))).toEqual({ kind: 'exception', unit: 1, fn: 3, code: 3 });
    expect(decode(await master.ask(readRequest(1, 2, 0, 8), 5))).toEqual({ kind: 'exception', unit: 1, fn: 2, code: 1 });
    // Function 0x2B has no fixed length: the simulator frames it by the silence after it.
    expect(decode(await master.ask(frame([1, 0x2b, 0x0e, 0x01, 0x00]), 5))).toEqual({ kind: 'exception', unit: 1, fn: 0x2b, code: 1 });
    expect(decode(await master.ask(readRequest(9, 3, 0, 1), 5))).toEqual({ kind: 'exception', unit: 9, fn: 3, code: 4 });
  });

  it('writes a single holding register (06), echoes it and reads it back; broadcasts get no reply', async () => {
    const s = await startSim([FIXED, { unitId: 2, holding: [{ address: 1, type: 'uint16', value: 0 }] }]);
    const write = frame([1, 6, 0, 1, 0, 3]);
    expect(write.toString('hex')).toBe('010600010003980b'); // vectors.json
    expect((await master.ask(write, 8)).toString('hex')).toBe('010600010003980b');
    expect(decode(await master.ask(readRequest(1, 3, 0, 2), 9))).toEqual({ kind: 'data', unit: 1, fn: 3, words: [300, 3] });
    expect(decode(await master.ask(frame([1, 6, 0, 50, 0, 1]), 5))).toEqual({ kind: 'exception', unit: 1, fn: 6, code: 2 });
    expect(await master.ask(frame([0, 6, 0, 1, 0, 9]), 1, 200)).toHaveLength(0);
    expect(decode(await master.ask(readRequest(2, 3, 1, 1), 7))).toEqual({ kind: 'data', unit: 2, fn: 3, words: [9] });
    expect(s.stats()).toMatchObject({ replies: 4, requests: 5 }); // the broadcast is a request without a reply
  });

  it('skips noise before a request', async () => {
    const s = await startSim([FIXED]);
    const reply = await master.ask(Buffer.concat([Buffer.from([0xff, 0x03]), readRequest(1, 3, 0, 1)]), 7);
    expect(decode(reply)).toEqual({ kind: 'data', unit: 1, fn: 3, words: [300] });
    expect(s.stats().rejectedBytes).toBe(2);
  });

  it('drops every N-th request and corrupts the CRC of every M-th reply', async () => {
    const s = await startSim([FIXED], { dropEvery: 3, corruptCrcEvery: 2 });
    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const reply = await master.ask(readRequest(1, 3, 0, 1), 7, 300);
      answers.push(reply.length === 0 ? 'none' : decode(reply).kind);
    }
    // Requests 3 and 6 dropped; of the 4 replies, the 2nd and 4th corrupted.
    expect(answers).toEqual(['data', 'bad-crc', 'none', 'data', 'bad-crc', 'none']);
    expect(s.stats()).toMatchObject({ requests: 6, dropped: 2, replies: 4, corruptReplies: 2 });
  });

  it('delays replies by slowReplyMs', async () => {
    await startSim([FIXED], { slowReplyMs: 300 });
    await port.write(readRequest(1, 3, 0, 1));
    expect(await master.silence(100)).toHaveLength(0); // not yet
    expect(decode(await master.ask(Buffer.alloc(0), 7))).toEqual({ kind: 'data', unit: 1, fn: 3, words: [300] });
  });

  it('refuses a map with overlapping registers or a bad unit id', () => {
    const overlap = { unitId: 1, holding: [{ address: 0, type: 'float32' as const, value: 1 }, { address: 1, type: 'uint16' as const, value: 1 }] };
    expect(() => new ModbusSlaveSimulator({ path: 'x', units: [overlap] })).toThrow(/register 1 is defined twice/);
    expect(() => new ModbusSlaveSimulator({ path: 'x', units: [{ unitId: 248 }] })).toThrow(RangeError);
    expect(() => new ModbusSlaveSimulator({ path: 'x', units: [FIXED, FIXED] })).toThrow(/listed twice/);
  });

  it('writes nothing after stop() resolves, pending slow replies included', async () => {
    const s = await startSim([FIXED], { slowReplyMs: 100 });
    await port.write(readRequest(1, 3, 0, 1));
    await sleep(30);
    await s.stop();
    expect(await master.silence(200)).toHaveLength(0);
    await expect(s.writeFrame(Buffer.from([1]))).rejects.toMatchObject({ code: 'IOC_ERR_SIM_STATE' });
  });
});
