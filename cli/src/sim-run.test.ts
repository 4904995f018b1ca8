import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, parseScenarioYaml } from '@ioc/simulators';
import { startScenarioSite, type ScenarioSite } from './demo-site.js';
import { startStack, type Stack } from './stack.js';

/**
 * A scenario run as `ioc sim run` and `ioc up` run it, on real parts: virtual devices on socat ptys and loopback
 * ports, one real edge agent per gateway reaching the real broker through the scenario's relay, ingest, influxd.
 * The edge drivers' readings carry the scenario's values; a network loss cuts the agent off, and its outbox replays.
 */

const SCENARIO = parseScenarioYaml(`
id: e2e
name: { vi: Thử đầu cuối, en: End to end }
seed: 5
profiles:
  dust:
    pm25: { base: 64, noise: 0.1 }
    pm10: { ratioOf: pm25, ratio: 1.6 }
    pm1: { ratioOf: pm25, ratio: 0.7 }
sites:
  - id: e2e-site
    name: { vi: Trạm, en: Station }
    district: Duy Tiên
    lat: 20.64
    lon: 105.92
    gateways:
      - id: gw-e2e-a
        sensors:
          - { id: pm-01, device: pms5003, profile: dust, intervalMs: 250 }
          - { id: cam-01, device: camera }
      - id: gw-e2e-b
        sensors:
          - { id: pm-01, device: sds011, profile: dust, intervalMs: 250, factor: 0.5 }
faults:
  - { kind: network-loss, gateway: gw-e2e-a, when: { after: 10m, for: 20m }, mode: reset }
`);
const ORIGIN = Date.UTC(2025, 11, 20, 0); // 07:00 in Hà Nội

let home: string;
let stack: Stack;
let site: ScenarioSite;
const real = new ManualClock(Date.now());

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'ioc-sim-run-'));
  const log = pino({ level: 'silent' });
  stack = await startStack({ home, log, mqttPort: 0, httpPort: 0, influxPort: 0 });
  site = await startScenarioSite({ scenario: SCENARIO, registry: stack.registry, mqttUrl: stack.broker.url, runDir: path.join(home, 'run'), log, actor: 'test', clock: real, startMs: ORIGIN });
});

afterAll(async () => {
  await site?.close();
  await stack?.close();
  rmSync(home, { recursive: true, force: true });
});

type Point = { ts: number; value: number };
async function points(query: string): Promise<Point[]> {
  const res = await fetch(`${stack.cloud.url}/api/v1/telemetry?${query}&limit=100000`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  return ((await res.json()) as { points: Point[] }).points;
}
async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const agentOf = (gateway: string) => site.gateways.find((g) => g.gateway === gateway)!.agent!;

describe('a scenario with edge agents', () => {
  it('provisions the scenario and starts an agent per gateway reading every device', () => {
    expect(site.gateways.map((g) => [g.gateway, g.inputs, g.skipped])).toEqual([
      ['gw-e2e-a', ['pms5003:pm-01', 'camera:cameras'], []],
      ['gw-e2e-b', ['sds011:pm-01'], []],
    ]);
    expect(stack.registry.getSite('e2e-site')).toMatchObject({ district: 'Duy Tiên', lat: 20.64, lon: 105.92 });
    expect(stack.registry.listSensors({ gateway: 'gw-e2e-b' }).map((s) => [s.id, s.driver, s.metrics])).toEqual([['pm-01', 'sds011', ['pm25', 'pm10']]]);
    expect(stack.registry.listCameras({ site: 'e2e-site' }).map((c) => [c.id, c.gateway, c.probe])).toEqual([['cam-01', 'gw-e2e-a', 'rtsp']]);
  });

  it('stores what the edge drivers decode: the scenario’s values at scenario time, and the camera online', async () => {
    // The fake clock stands still, so every frame carries the values at the origin.
    const a = site.run.values.valuesAt('gw-e2e-a/pm-01', ORIGIN);
    const b = site.run.values.valuesAt('gw-e2e-b/pm-01', ORIGIN);
    const pms = await until(() => points('gateway=gw-e2e-a&sensor=pm-01&metric=pm25'), (p) => p.length > 0, 'PMS5003 readings');
    const sds = await until(() => points('gateway=gw-e2e-b&sensor=pm-01&metric=pm10'), (p) => p.length > 0, 'SDS011 readings');
    expect(pms[0]?.value).toBe(Math.round(a.pm25!));
    expect(sds[0]?.value).toBe(Math.round(b.pm10! * 10) / 10);
    expect(b.pm25! / a.pm25!).toBeCloseTo(0.5, 1); // the sensor's factor
    const cam = await until(() => points('sensor=cam-01&metric=camera_online'), (p) => p.length > 0, 'a camera heartbeat');
    expect(cam[0]?.value).toBe(1);
  });

  it('cuts a gateway off during its network loss; its outbox keeps the readings and replays them after', async () => {
    const agent = agentOf('gw-e2e-a');
    await until(() => agent.stats().uplink.connected, (c) => c, 'the agent to be connected');
    real.advance(10 * 60_000); // network-loss of gw-e2e-a, mode reset
    await site.run.idle();
    const cutAt = Date.now();
    expect(site.run.gateways[0]?.relay?.severed).toBe(true);
    await until(() => agent.stats().uplink.connected, (c) => !c, 'the agent to notice');
    const pendingBefore = agent.stats().outbox.pending;
    await until(() => agent.stats().outbox.pending, (n) => n >= pendingBefore + 36, 'readings to pile up in the outbox'); // 4 frames × 9 metrics
    expect(agentOf('gw-e2e-b').stats().uplink.connected).toBe(true); // the other gateway is not concerned

    real.advance(20 * 60_000);
    await site.run.idle();
    const restoredAt = Date.now();
    expect(site.run.gateways[0]?.relay?.severed).toBe(false);
    await until(() => agent.stats().outbox.pending, (n) => n === 0, 'the outbox to drain after the outage');
    // Readings measured while the link was cut are stored, with their time of measurement.
    const during = await until(() => points(`gateway=gw-e2e-a&sensor=pm-01&metric=pm25&from=${cutAt}&to=${restoredAt}`), (p) => p.length >= 4, 'the replayed readings');
    expect(during.every((p) => p.ts >= cutAt && p.ts < restoredAt)).toBe(true);
  });
});

describe('ioc sim run --no-agents', () => {
  it('prints where each device listens and leaves nothing behind on Ctrl-C', async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/ioc.js');
    const child = spawn(process.execPath, [bin, 'sim', 'run', 'minimal', '--no-agents', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => out, (o) => o.includes('Ctrl-C stops it.'), 'the device list');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain(`pm-01        pms5003        ${path.join(home, 'run', 'sim-minimal', 'gw-a', 'pm-01')}`);
    expect(out).toMatch(/cam-01 {7}camera {9}rtsp:\/\/127\.0\.0\.1:\d+\//);
    expect(out).toContain('Stopped.');
    const left = (() => {
      try {
        return execFileSync('pgrep', ['-af', path.join(home, 'run', 'sim-minimal')], { encoding: 'utf8' }).trim();
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    })();
    expect(left).toBe('');
  }, 30_000);
});
