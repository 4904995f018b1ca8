/**
 * Edge agent memory: RSS of the agent process with its drivers running against the simulators — a PMS5003 and an
 * SDS011 on ptys, a Modbus RTU gas analyser on a pty, an OPC-UA station's data logger and an RTSP camera — beside the
 * floor of Node itself, for `ioc edge run` (Node's default V8) and `ioc-edge run` (the gateway launcher, V8 set for a
 * small memory: cli/bin/ioc-edge.js).
 *
 * `npx tsc -b bench && node bench/dist/run.js edge-rss` (≈ 2.5 min). Each process runs WINDOW_S seconds; RSS is sampled
 * every second over the second half and the highest sample is reported (VmRSS, /proc/<pid>/status), with the split
 * of that RSS into anonymous memory (heap, stacks, malloc: the process's own) and file-backed pages (mostly the pages
 * of the node binary that were touched: shared with every other node process) from /proc/<pid>/smaps_rollup.
 * The readings each input delivered to the broker in the window prove that every driver was running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { startBroker, type CredentialVerifier } from '@ioc/broker';
import { agentInputs, edgeConfigFor } from '@ioc/cli';
import { OpcuaStationServer, parseScenario, runScenario, type RunningScenario } from '@ioc/simulators';
import type { Bench, BenchTable } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IOC = path.join(ROOT, 'cli/bin/ioc.js');
/** IOC_BENCH_EDGE_BIN: another build of the launcher to measure (e.g. a bundle); default the shipped one. */
const IOC_EDGE = process.env.IOC_BENCH_EDGE_BIN ?? path.join(ROOT, 'cli/bin/ioc-edge.js');
const WINDOW_S = Number(process.env.IOC_BENCH_EDGE_RSS_SECONDS ?? 20);
const SITE = 'bench';
const GATEWAY = 'gw-rss';

/** The V8 flags of the gateway launcher, read from its shebang line: the bench measures what ships. */
export function launcherFlags(): string[] {
  const shebang = readFileSync(IOC_EDGE, 'utf8').split('\n', 1)[0] ?? '';
  return shebang.split(/\s+/).filter((w) => w.startsWith('--'));
}

/** One gateway carrying one device of each kind, with the profiles of the Hà Nam scenario. */
async function startDevices(runDir: string): Promise<RunningScenario> {
  const haNam = parseYaml(readFileSync(path.join(ROOT, 'simulators/scenarios/ha-nam.yaml'), 'utf8')) as { name: unknown; profiles: unknown };
  const scenario = parseScenario(
    {
      id: 'edge-rss',
      name: haNam.name,
      seed: 1,
      profiles: haNam.profiles,
      sites: [
        {
          id: SITE,
          name: { vi: 'Đo bộ nhớ', en: 'Memory bench' },
          district: 'Phủ Lý',
          lat: 20.54,
          lon: 105.91,
          gateways: [
            {
              id: GATEWAY,
              sensors: [
                { id: 'pm-01', device: 'pms5003', profile: 'urban-dust', intervalMs: 1000 },
                { id: 'pm-02', device: 'sds011', profile: 'urban-dust', intervalMs: 1000 },
                { id: 'gas-01', device: 'modbus', registerMap: 'gas', unit: 1, profile: 'urban-gas' },
                { id: 'st-01', device: 'opcua-station', profile: 'industrial-station' },
                { id: 'cam-01', device: 'camera' },
              ],
            },
          ],
        },
      ],
    },
    'edge-rss bench',
  );
  return runScenario(scenario, { runDir });
}

interface Sample {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  /** Readings received per sensor id during the window. */
  readings: Record<string, number>;
}

function smapsRollup(pid: number): { rss: number; anon: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: kb('Rss') / 1024, anon: kb('Anonymous') / 1024 };
}

const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `command args` for WINDOW_S seconds; the highest RSS of the second half, its split, and the readings seen. */
async function measure(command: string, args: string[], seen: Map<string, number>): Promise<Sample> {
  seen.clear();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, IOC_LOG_LEVEL: 'warn' } });
  let peak = { rss: 0, anon: 0 };
  try {
    for (let s = 1; s <= WINDOW_S; s++) {
      await sleep(1000);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${child.exitCode ?? child.signalCode}`);
      if (s > WINDOW_S / 2) {
        const m = smapsRollup(child.pid!);
        if (m.rss > peak.rss) peak = m;
      }
    }
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { rssMb: round(peak.rss), anonMb: round(peak.anon), fileMb: round(peak.rss - peak.anon), readings: Object.fromEntries(seen) };
}

async function run(): Promise<BenchTable[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-bench-edge-rss-'));
  const verifier: CredentialVerifier = {
    verify: (username) =>
      Promise.resolve(username === 'svc-count' ? { ok: true, principal: { kind: 'service', name: username, role: 'ingest' } } : { ok: true, principal: { kind: 'gateway', site: SITE, gateway: username } }),
  };
  const broker = await startBroker({ port: 0, credentials: verifier, log: pino({ level: 'silent' }) });
  const devices = await startDevices(path.join(dir, 'run'));
  const seen = new Map<string, number>();
  const stations: OpcuaStationServer[] = [];
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'svc-count', username: 'svc-count', password: 'x', reconnectPeriod: 0 });
  sub.on('message', (_topic, payload) => {
    const batch = JSON.parse(payload.toString()) as { readings?: { sensor: string }[] };
    for (const r of batch.readings ?? []) seen.set(r.sensor, (seen.get(r.sensor) ?? 0) + 1);
  });
  await sub.subscribeAsync(`ioc/v1/+/+/telemetry`, { qos: 1 });
  try {
    const gateway = devices.gateways[0]!;
    const base = edgeConfigFor(SITE, GATEWAY, broker.url, 'x');
    const { inputs, skipped } = agentInputs(gateway, base, path.join(dir, 'pki'));
    if (skipped.length > 0 || inputs.length !== 5) throw new Error(`the agent cannot read every device: ${JSON.stringify(skipped)}`);
    // A second's polling and a 5 s camera probe instead of the demo's 5 s and 10 s: more work in the window.
    for (const input of inputs) if (input.driver === 'modbus-rtu') input.intervalMs = 1000;
    for (const input of inputs) if (input.driver === 'camera') input.intervalMs = 5000;
    let n = 0;
    const config = (drivers: string[], secure = false): string => {
      const file = path.join(dir, `agent-${n}.json`);
      const chosen = (secure ? securedInputs : inputs).filter((i) => drivers.includes(String(i.driver)));
      const id = `${GATEWAY}-${n++}`;
      writeFileSync(file, JSON.stringify({ ...base, gateway: { site: SITE, id }, mqtt: { ...(base.mqtt as object), username: id }, dataDir: mkdtempSync(path.join(dir, 'data-')), http: { port: 0 }, uplink: { maxBatchReadings: 500, lingerMs: 500 }, inputs: chosen }));
      return file;
    };
    const serial = ['pms5003', 'sds011', 'modbus-rtu', 'camera'];
    const all = [...serial, 'opcua'];
    // The same station behind SignAndEncrypt and a user name: the OPC-UA input's cryptography is measured too.
    const secured = new OpcuaStationServer({ pkiDir: path.join(dir, 'secure-station.pki'), stationName: 'st-01', security: 'SignAndEncrypt', users: { ioc: 'bench-secret' } });
    await secured.start();
    stations.push(secured);
    const opcua = inputs.find((i) => i.driver === 'opcua')!;
    const securedInputs = [
      ...inputs.filter((i) => i !== opcua),
      { ...opcua, endpoint: secured.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', username: 'ioc', password: 'bench-secret', pkiDir: path.join(dir, 'pki', 'st-01-secure') },
    ];
    const flags = launcherFlags();
    const idle = ['-e', 'setInterval(() => {}, 1000)'];
    const rows: [string, Sample][] = [
      ['node, an idle timer (the floor)', await measure(process.execPath, idle, seen)],
      [`node ${flags.join(' ')}, an idle timer`, await measure(process.execPath, [...flags, ...idle], seen)],
      ['ioc edge run — all five', await measure(process.execPath, [IOC, 'edge', 'run', '--config', config(all)], seen)],
      ['ioc-edge run — pms5003', await measure(IOC_EDGE, ['run', '--config', config(['pms5003'])], seen)],
      ['ioc-edge run — a serial gateway: pms5003, sds011, modbus-rtu, camera', await measure(IOC_EDGE, ['run', '--config', config(serial)], seen)],
      ['ioc-edge run — all five', await measure(IOC_EDGE, ['run', '--config', config(all)], seen)],
      ['ioc-edge run — all five, OPC-UA over SignAndEncrypt (Aes256_Sha256_RsaPss) with a user name', await measure(IOC_EDGE, ['run', '--config', config(all, true)], seen)],
    ];
    const sensors = ['pm-01', 'pm-02', 'gas-01', 'st-01', 'cam-01'];
    // A row measured with a driver that delivered nothing would flatter the agent: refuse to print it.
    const sensorOf: Record<string, string> = { pms5003: 'pm-01', sds011: 'pm-02', 'modbus-rtu': 'gas-01', opcua: 'st-01', camera: 'cam-01' };
    for (const [name, s] of rows) {
      const expected = name.startsWith('node') ? [] : name.endsWith('pms5003') ? ['pm-01'] : name.includes('serial') ? serial.map((d) => sensorOf[d]!) : sensors;
      const silent = expected.filter((id) => !s.readings[id]);
      if (silent.length > 0) throw new Error(`${name}: no readings from ${silent.join(', ')} in ${WINDOW_S} s`);
    }
    return [
      {
        title: `Agent RSS (MB), highest sample of the last ${WINDOW_S / 2} s of ${WINDOW_S} s, drivers reading simulated devices, disk outbox, connected to the broker`,
        columns: ['process', 'RSS', 'anonymous', 'file-backed', `readings in ${WINDOW_S} s: ${sensors.join(' / ')}`],
        rows: rows.map(([name, s]) => [name, s.rssMb.toFixed(1), s.anonMb.toFixed(1), s.fileMb.toFixed(1), name.startsWith('node') ? '–' : sensors.map((id) => s.readings[id] ?? 0).join(' / ')]),
        notes: [
          'Target: RSS < 60 MB with all five drivers. Devices: PMS5003 (pm-01) and SDS011 (pm-02) once a second, a Modbus gas analyser (gas-01, 4 registers) polled every second, an OPC-UA station (st-01, 8 monitored items), an RTSP camera probed every 5 s.',
          `ioc-edge = ioc edge with ${flags.join(' ')} (cli/bin/ioc-edge.js). "file-backed": pages of the node binary and shared libraries, shared with every node process on the machine; "anonymous": the process's own memory.`,
        ],
      },
    ];
  } finally {
    await sub.endAsync(true);
    for (const station of stations) await station.stop();
    await devices.stop();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const edgeRssBench: Bench = {
  name: 'edge-rss',
  description: 'edge agent RSS with its five drivers reading simulated devices: ioc edge run vs the ioc-edge launcher vs the node floor',
  run,
};
