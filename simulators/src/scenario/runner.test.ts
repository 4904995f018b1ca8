import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTtyPort, type TtyPort } from '../serial/tty-port.js';
import { ManualClock } from './clock.js';
import { deviceStarters } from './devices.js';
import { loadScenarioFile } from './load.js';
import { runScenario, type RunningScenario, type ScenarioEvent } from './runner.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const MIN = 60_000;
/** Scenario origin: 2025-12-15 06:00 Hà Nội time. */
const ORIGIN = Date.UTC(2025, 11, 14, 23);

// ---- a test-side reading of the datasheets, independent of both the simulators and the edge drivers ----

/** PMS5003 data frames with a valid sum: [pm1, pm25, pm10] atmospheric. */
function pmsFrames(bytes: Buffer): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 32 <= bytes.length; i++) {
    if (bytes[i] !== 0x42 || bytes[i + 1] !== 0x4d || bytes.readUInt16BE(i + 2) !== 28) continue;
    let sum = 0;
    for (let j = i; j < i + 30; j++) sum += bytes[j]!;
    if ((sum & 0xffff) === bytes.readUInt16BE(i + 30)) out.push([10, 12, 14].map((o) => bytes.readUInt16BE(i + o)));
  }
  return out;
}

/** SDS011 measurement frames with a valid sum and tail: [pm25, pm10] µg/m³. */
function sdsFrames(bytes: Buffer): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + 10 <= bytes.length; i++) {
    if (bytes[i] !== 0xaa || bytes[i + 1] !== 0xc0 || bytes[i + 9] !== 0xab) continue;
    let sum = 0;
    for (let j = i + 2; j < i + 8; j++) sum += bytes[j]!;
    if ((sum & 0xff) === bytes[i + 8]) out.push([bytes.readUInt16LE(i + 2) / 10, bytes.readUInt16LE(i + 4) / 10]);
  }
  return out;
}

/** What the host end of a serial device receives. */
class Host {
  private chunks: Buffer[] = [];
  private constructor(readonly port: TtyPort) {
    port.onData((c) => this.chunks.push(c));
  }
  static async open(path: string): Promise<Host> {
    return new Host(await openTtyPort(path));
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  clear(): void {
    this.chunks = [];
  }
  async waitFor(cond: (b: Buffer) => boolean, what: string): Promise<Buffer> {
    for (let i = 0; i < 600; i++) {
      if (cond(this.bytes)) return this.bytes;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let dir: string;
let upstream: net.Server;
let run: RunningScenario;
const real = new ManualClock(5_000_000);
const events: ScenarioEvent[] = [];
const hosts: Host[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-scenario-'));
  upstream = net.createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const scenario = await loadScenarioFile(`${SCENARIOS}minimal.yaml`);
  run = await runScenario(scenario, {
    runDir: dir,
    clock: real,
    startMs: ORIGIN,
    upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
    // Only the serial simulators: the camera must then be reported, not skipped.
    starters: { pms5003: deviceStarters.pms5003, sds011: deviceStarters.sds011 },
    onEvent: (e) => events.push(e),
  });
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.port.close()));
  await run?.stop();
  await new Promise<void>((r) => upstream.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const device = (key: string) => {
  const d = run.gateways.flatMap((g) => g.devices).find((x) => x.sensor.key === key);
  if (!d) throw new Error(`no device ${key}`);
  return d;
};

async function host(key: string): Promise<Host> {
  const d = device(key);
  if (d.endpoint.kind !== 'serial') throw new Error('not serial');
  const h = await Host.open(d.endpoint.path);
  hosts.push(h);
  return h;
}

describe('running a scenario', () => {
  it('reports each gateway’s devices with the path the agent opens, a relay per gateway, and the unsupported camera', () => {
    expect(run.gateways.map((g) => [g.gateway.id, g.devices.map((d) => d.sensor.sensor.id)])).toEqual([
      ['gw-a', ['pm-01', 'pm-02']],
      ['gw-b', ['pm-01']],
    ]);
    expect(device('gw-a/pm-01').endpoint).toEqual({ kind: 'serial', path: join(dir, 'gw-a', 'pm-01') });
    expect(device('gw-a/pm-01').metrics).toEqual(['pm1', 'pm25', 'pm10', 'pc_0_3', 'pc_0_5', 'pc_1_0', 'pc_2_5', 'pc_5_0', 'pc_10']);
    expect(run.gateways[1]?.mqtt?.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(run.unsupported.map((u) => [u.sensor.key, u.reason])).toEqual([['gw-b/cam-01', 'no simulator for device kind "camera" in this build']]);
  });

  it('sends frames whose values, decoded independently, are the scenario’s values at scenario time', async () => {
    const [pms, sds] = [await host('gw-a/pm-01'), await host('gw-a/pm-02')];
    const pmsBytes = await pms.waitFor((b) => pmsFrames(b).length >= 2, 'two PMS5003 frames');
    const sdsBytes = await sds.waitFor((b) => sdsFrames(b).length >= 2, 'two SDS011 frames');
    // The fake clock has not moved: every frame carries the values at the origin.
    const expectedPms = run.values.valuesAt('gw-a/pm-01', ORIGIN);
    const expectedSds = run.values.valuesAt('gw-a/pm-02', ORIGIN);
    expect(pmsFrames(pmsBytes)[0]).toEqual([Math.round(expectedPms.pm1!), Math.round(expectedPms.pm25!), Math.round(expectedPms.pm10!)]);
    expect(sdsFrames(sdsBytes)[0]).toEqual([Math.round(expectedSds.pm25! * 10) / 10, Math.round(expectedSds.pm10! * 10) / 10]);
    expect(expectedPms.pm25).toBeGreaterThan(20); // December morning air
  });

  it('silences a sensor during its dropout and lets it speak again after', async () => {
    const pms = await host('gw-a/pm-01');
    real.advance(10 * MIN); // faults[0]: dropout of gw-a/pm-01 from 10 to 15 min
    await run.idle();
    expect(device('gw-a/pm-01').line?.faults().silent).toBe(true);
    const dropped = device('gw-a/pm-01').line!.stats().chunksDropped;
    await until(() => device('gw-a/pm-01').line!.stats().chunksDropped >= dropped + 2, 'two frames swallowed');
    pms.clear();
    await until(() => device('gw-a/pm-01').line!.stats().chunksDropped >= dropped + 4, 'two more frames swallowed');
    expect(pms.bytes.length).toBe(0);
    real.advance(5 * MIN);
    await run.idle();
    await pms.waitFor((b) => pmsFrames(b).length >= 1, 'a frame after the dropout');
    expect(events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && `${e.phase} ${e.kind} ${(e.scenarioMs - ORIGIN) / MIN}`)).toEqual([
      'start dropout 10',
      'end dropout 15',
    ]);
  });

  it('pulls a sensor’s adapter out and plugs it back at the same path', async () => {
    const path = join(dir, 'gw-b', 'pm-01');
    real.advance(25 * MIN); // to 40 min: faults[3] unplugged; stuck and spike came and went
    await run.idle();
    expect(existsSync(path)).toBe(false);
    expect(device('gw-b/pm-01').line?.plugged).toBe(false);
    real.advance(5 * MIN);
    await run.idle();
    expect(existsSync(path)).toBe(true);
    const pms = await host('gw-b/pm-01');
    await pms.waitFor((b) => pmsFrames(b).length >= 1, 'a frame after replugging');
  });

  it('puts garbage on a line, then severs and restores a gateway’s network', async () => {
    const sds = await host('gw-a/pm-02');
    real.advance(5 * MIN); // 50 min: faults[4] garbage at rate 0.3 on gw-a/pm-02
    await run.idle();
    await until(() => device('gw-a/pm-02').line!.stats().garbageBytes > 0, 'garbage bytes');
    await sds.waitFor((b) => sdsFrames(b).length >= 1, 'a measurement among the garbage');
    const relay = run.gateways[1]!.relay!;
    real.advance(10 * MIN); // 60 min: faults[6] network-loss of gw-b
    await run.idle();
    expect(relay.severed).toBe(true);
    expect(run.gateways[0]!.relay!.severed).toBe(false);
    real.advance(20 * MIN);
    await run.idle();
    expect(relay.severed).toBe(false);
    const faults = events.filter((e) => e.type === 'fault');
    expect(faults.find((e) => e.kind === 'network-loss' && e.phase === 'start')).toMatchObject({ target: 'gw-b', applied: true, scenarioMs: ORIGIN + 60 * MIN });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
  });
});
