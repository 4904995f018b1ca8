import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../serial/pty-pair.js';
import { openTtyPort, type TtyPort } from '../../serial/tty-port.js';
import { Sds011Simulator } from './simulator.js';

// sds011_frames[0] of ../shared/domain/vectors.json.
const CAPTURED_HEX = 'aac08c009400bcf9d5ab';
const captured = (): { pm25: number; pm10: number } => ({ pm25: 14.0, pm10: 14.8 });
/** Host commands written out by hand from the protocol sheet, target FF FF unless stated. */
const CMD = {
  query: 'aab404000000000000000000000000ffff02ab',
  activeMode: 'aab402010000000000000000000000ffff01ab',
  queryMode: 'aab402010100000000000000000000ffff02ab',
  askMode: 'aab402000000000000000000000000ffff00ab',
  sleep: 'aab406010000000000000000000000ffff05ab',
  work: 'aab406010100000000000000000000ffff06ab',
  period1: 'aab408010100000000000000000000ffff08ab',
  firmware: 'aab407000000000000000000000000ffff05ab',
  sleepA160: 'aab406010000000000000000000000a16008ab',
  sleepB000: 'aab406010000000000000000000000b000b7ab',
};

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
  send(hexText: string): Promise<void> {
    return this.port.write(Buffer.from(hexText, 'hex'));
  }
  async waitFor(length: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.bytes.length < length && Date.now() < deadline) await sleep(5);
    return this.bytes;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** The 10-byte frames whose tail and checksum hold (a test-side reading of the sheet). */
function validFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i + 10 <= bytes.length; i += 1) {
    if (bytes[i] !== 0xaa || bytes[i + 9] !== 0xab) continue;
    let sum = 0;
    for (const b of bytes.subarray(i + 2, i + 8)) sum += b;
    if ((sum & 0xff) === bytes[i + 8]) frames.push(bytes.subarray(i, i + 10));
  }
  return frames;
}

let dir: string;
let pair: PtyPair;
let host: HostEnd;
let sim: Sds011Simulator | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sds-sim-'));
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

describe('Sds011Simulator', () => {
  it('sends the captured frame every intervalMs in active mode', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 30, deviceId: 0xbcf9, source: captured });
    await sim.start();
    const bytes = await host.waitFor(30);
    expect(bytes.subarray(0, 30).toString('hex')).toBe(CAPTURED_HEX.repeat(3));
    expect(sim.stats().framesSent).toBeGreaterThanOrEqual(3);
    expect(sim.lastValues).toEqual({ pm25: 14, pm10: 14.8 });
  });

  it('reports the Hà Nội profile by default, with PM10 above PM2.5', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 20, seed: 9, clock: () => new Date('2025-01-10T22:00Z') });
    await sim.start();
    const frame = validFrames(await host.waitFor(10))[0];
    const pm25 = (frame?.readUInt16LE(2) ?? 0) / 10;
    const pm10 = (frame?.readUInt16LE(4) ?? 0) / 10;
    expect(pm25).toBeGreaterThan(20); // a January night
    expect(pm10 / pm25).toBeGreaterThanOrEqual(1.29);
    expect(pm10 / pm25).toBeLessThanOrEqual(1.81);
    expect(frame?.readUInt16BE(6)).toBe(0xa160);
  });

  it('in query mode answers each query with exactly one frame and sends nothing unasked', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 20, deviceId: 0xbcf9, source: captured });
    await sim.start();
    await host.send(CMD.queryMode);
    await eventually(() => sim?.mode === 'query');
    await sleep(60); // a frame already on its way may still arrive
    host.clear();
    const sentBefore = sim.stats().framesSent;

    await sleep(150); // several active periods: nothing comes unasked
    expect(host.bytes).toHaveLength(0);
    await host.send(CMD.query);
    expect((await host.waitFor(10)).toString('hex')).toBe(CAPTURED_HEX);
    await sleep(100);
    expect(host.bytes).toHaveLength(10);
    expect(sim.stats().framesSent).toBe(sentBefore + 1);
  });

  it('answers the mode, sleep/work, working-period and firmware commands as the protocol sheet shows', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 60_000 });
    await sim.start();
    const ask = async (command: string): Promise<string> => {
      host.clear();
      await host.send(command);
      return (await host.waitFor(10)).toString('hex');
    };
    expect(await ask(CMD.askMode)).toBe('aac502000000a16003ab'); // active mode
    expect(await ask(CMD.queryMode)).toBe('aac502010100a16005ab'); // set to query mode
    expect(sim.mode).toBe('query');
    expect(await ask(CMD.activeMode)).toBe('aac502010000a16004ab');
    expect(await ask(CMD.period1)).toBe('aac508010100a1600bab');
    expect(sim.workingPeriodMin).toBe(1);
    expect(await ask(CMD.firmware)).toBe('aac5070f070aa16028ab');
    expect(await ask(CMD.sleep)).toBe('aac506010000a16008ab');
    expect(sim.asleep).toBe(true);
    expect(await ask(CMD.work)).toBe('aac506010100a16009ab');
    expect(sim.asleep).toBe(false);
    expect(sim.stats()).toMatchObject({ commandsReceived: 7, repliesSent: 7, commandsIgnored: 0 });
  });

  it('obeys commands for its own id or FF FF, ignores those for another id, and can be given a new id', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 60_000 });
    await sim.start();
    await host.send(CMD.sleepB000);
    await sleep(100);
    expect(host.bytes).toHaveLength(0);
    expect(sim.stats().commandsIgnored).toBe(1);
    await host.send(CMD.sleepA160);
    expect((await host.waitFor(10)).toString('hex')).toBe('aac506010000a16008ab');
    host.clear();
    await host.send(CMD.work);
    await host.waitFor(10);
    host.clear();
    // Protocol sheet: "set the device ID from A160 to A001", answered from the new id.
    await host.send('aab405' + '00'.repeat(10) + 'a001' + 'a160' + 'a7ab');
    expect((await host.waitFor(10)).toString('hex')).toBe('aac505000000a001a6ab');
    expect(sim.deviceId).toBe(0xa001);
  });

  it('sends nothing asleep, answers no query there, and resumes after work', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 20, deviceId: 0xbcf9, source: captured });
    await sim.start();
    await host.send(CMD.sleep);
    await eventually(() => sim?.asleep === true);
    await sleep(60);
    host.clear();
    await host.send(CMD.query);
    await sleep(150);
    expect(host.bytes).toHaveLength(0);
    await host.send(CMD.work);
    const bytes = await host.waitFor(20);
    expect(bytes.subarray(0, 20).toString('hex')).toBe('aac506010100bcf9bdab' + CAPTURED_HEX);
  });

  it('with a working period reports once per period of its clock', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 10, source: captured, clock: () => new Date(now) });
    await sim.start();
    await host.send(CMD.period1);
    await eventually(() => sim?.workingPeriodMin === 1);
    await eventually(() => (sim?.stats().framesSent ?? 0) >= 1);
    const sent = sim.stats().framesSent;
    await sleep(100); // ten ticks, no minute passed
    expect(sim.stats().framesSent).toBe(sent);
    now += 60_000;
    await eventually(() => sim?.stats().framesSent === sent + 1);
    await sleep(50);
    expect(sim.stats().framesSent).toBe(sent + 1);
  });

  it('spoils every N-th frame in turn with garbage, a bad checksum and a bad tail', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 5, garbageEvery: 2, seed: 5, source: captured });
    await sim.start();
    await eventually(() => (sim?.stats().framesSent ?? 0) >= 12);
    await sim.stop();
    const stats = sim.stats();
    const bytes = await host.waitFor(stats.framesSent * 10 + stats.garbageBytesSent);
    expect(bytes).toHaveLength(stats.framesSent * 10 + stats.garbageBytesSent);
    const spoiled = Math.floor(stats.framesSent / 2);
    expect(stats.corruptFramesSent).toBe(Math.floor((spoiled + 1) / 3));
    expect(stats.badTailFramesSent).toBe(Math.floor(spoiled / 3));
    expect(stats.garbageBytesSent).toBeGreaterThan(0);
    // Random garbage could form a valid frame by chance only with negligible probability at this seed.
    expect(validFrames(bytes)).toHaveLength(stats.framesSent - stats.corruptFramesSent - stats.badTailFramesSent);
  });

  it('writeFrame sends exact bytes; nothing is written after stop() resolves', async () => {
    sim = new Sds011Simulator({ path: pair.devicePath, intervalMs: 60_000 });
    await sim.start();
    await sim.writeFrame(Buffer.from('00ffaac0', 'hex'));
    expect((await host.waitFor(4)).toString('hex')).toBe('00ffaac0');
    expect(sim.stats().framesSent).toBe(0);
    await sim.stop();
    host.clear();
    await host.send(CMD.query);
    await sleep(100);
    expect(host.bytes).toHaveLength(0);
    await expect(sim.writeFrame(Buffer.from(CAPTURED_HEX, 'hex'))).rejects.toMatchObject({ code: 'IOC_ERR_SIM_STATE' });
  });
});
