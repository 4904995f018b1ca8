import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../serial/pty-pair.js';
import { openTtyPort, type TtyPort } from '../../serial/tty-port.js';
import { Pms5003Simulator } from './simulator.js';

const CAPTURED_HEX = '424d001c00000008000800000008000800d20046002d001e00000000970002c5';
const CMD = {
  passive: '424de100000170',
  active: '424de100010171',
  read: '424de200000171',
  sleep: '424de400000173',
  wake: '424de400010174',
};
const captured = { pm1: 0, pm25: 8, pm10: 8, counts: [210, 70, 45, 30, 0, 0] as const };

/** Everything the host end has received so far. */
class HostEnd {
  private chunks: Buffer[] = [];
  constructor(readonly port: TtyPort) {
    port.onData((c) => this.chunks.push(c));
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  clear(): void {
    this.chunks = [];
  }
  send(hex: string): Promise<void> {
    return this.port.write(Buffer.from(hex, 'hex'));
  }
  async waitFor(length: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.bytes.length < length && Date.now() < deadline) await sleep(5);
    return this.bytes;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Splits a byte stream into the 32-byte frames whose checksum holds (a test-side reading of the spec). */
function validFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i + 32 <= bytes.length; i += 1) {
    if (bytes.readUInt32BE(i) !== 0x424d001c) continue;
    let sum = 0;
    for (const b of bytes.subarray(i, i + 30)) sum += b;
    if (sum === bytes.readUInt16BE(i + 30)) frames.push(bytes.subarray(i, i + 32));
  }
  return frames;
}

let dir: string;
let pair: PtyPair;
let host: HostEnd;
let sim: Pms5003Simulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-pms-sim-'));
  pair = await openPtyPair(dir);
  host = new HostEnd(await openTtyPort(pair.hostPath));
});

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await host.port.close();
  await pair.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Pms5003Simulator', () => {
  it('sends the captured frame every intervalMs in active mode', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 40, source: () => captured });
    await sim.start();
    const bytes = await host.waitFor(96);
    expect(bytes.subarray(0, 96).toString('hex')).toBe(CAPTURED_HEX.repeat(3));
    expect(sim.framesSent).toBeGreaterThanOrEqual(3);
  });

  it('derives CF=1 values and counts from the source by default', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 20, source: () => ({ pm1: 70, pm25: 100, pm10: 150 }) });
    await sim.start();
    const frame = validFrames(await host.waitFor(32))[0];
    expect(frame).toBeDefined();
    const word = (i: number): number => frame?.readUInt16BE(4 + 2 * i) ?? -1;
    expect([word(0), word(1), word(2)]).toEqual([105, 150, 225]); // CF=1 = 1.5 × atmospheric up here
    expect([word(3), word(4), word(5)]).toEqual([70, 100, 150]);
    expect(word(6)).toBeGreaterThan(word(7)); // >0.3 µm outnumber >0.5 µm
  });

  it('in passive mode answers each read command with exactly one frame', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 30, source: () => captured });
    await sim.start();
    await host.send(CMD.passive);
    await expectEventually(() => sim?.mode === 'passive');
    await sleep(60); // a frame already on its way may still arrive
    host.clear();
    const sentBefore = sim.framesSent;

    await sleep(150); // five active periods: nothing comes unasked
    expect(host.bytes).toHaveLength(0);

    await host.send(CMD.read);
    expect((await host.waitFor(32)).toString('hex')).toBe(CAPTURED_HEX);
    await sleep(100);
    expect(host.bytes).toHaveLength(32);
    expect(sim.framesSent).toBe(sentBefore + 1);
  });

  it('acknowledges mode and sleep commands as the sensor does', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 10_000, mode: 'passive' });
    await sim.start();
    await host.send(CMD.active);
    expect((await host.waitFor(8)).toString('hex')).toBe('424d0004e1010175');
    host.clear();
    await host.send(CMD.sleep);
    expect((await host.waitFor(8)).toString('hex')).toBe('424d0004e4000177');
    expect(sim.asleep).toBe(true);
  });

  it('sends nothing asleep and resumes after wake', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 30, source: () => captured });
    await sim.start();
    await host.send(CMD.sleep);
    await expectEventually(() => sim?.asleep === true);
    await sleep(60);
    host.clear();
    await sleep(150);
    expect(host.bytes).toHaveLength(0);
    await host.send(CMD.wake);
    expect((await host.waitFor(32)).subarray(0, 32).toString('hex')).toBe(CAPTURED_HEX);
  });

  it('spoils every N-th frame, alternately with garbage and with a bad checksum', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 10, garbageEvery: 2, seed: 5, source: () => captured });
    await sim.start();
    await expectEventually(() => (sim?.framesSent ?? 0) >= 8);
    await sim.stop();
    const stats = sim.stats();
    const bytes = await host.waitFor(stats.framesSent * 32 + stats.garbageBytesSent);
    expect(bytes).toHaveLength(stats.framesSent * 32 + stats.garbageBytesSent);
    expect(stats.corruptFramesSent).toBe(Math.floor(stats.framesSent / 4));
    expect(stats.garbageBytesSent).toBeGreaterThan(0);
    expect(validFrames(bytes)).toHaveLength(stats.framesSent - stats.corruptFramesSent);
  });

  it('writes nothing after stop() resolves', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 10, source: () => captured });
    await sim.start();
    await host.waitFor(64);
    await sim.stop();
    const sent = sim.framesSent;
    await sleep(30);
    host.clear();
    await host.send(CMD.read);
    await sleep(100);
    expect(host.bytes).toHaveLength(0);
    expect(sim.framesSent).toBe(sent);
    await expect(sim.writeFrame(Buffer.from(CAPTURED_HEX, 'hex'))).rejects.toMatchObject({ code: 'IOC_ERR_SIM_STATE' });
  });

  it('writeFrame sends exact bytes', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 60_000 });
    await sim.start();
    await sim.writeFrame(Buffer.from('00ff424d', 'hex'));
    expect((await host.waitFor(4)).toString('hex')).toBe('00ff424d');
    expect(sim.framesSent).toBe(0);
  });

  it('leaves no socat behind once the pair is closed', async () => {
    sim = new Pms5003Simulator({ path: pair.devicePath, intervalMs: 10 });
    await sim.start();
    await sim.stop();
    await pair.close();
    await expect(readFile(`/proc/${pair.pid}/stat`, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

async function expectEventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
