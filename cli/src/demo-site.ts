import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  loadScenarioFile,
  publishBackfill,
  reportedMetrics,
  resolveScenarioPath,
  runScenario,
  scenarioGateways,
  type BackfillSummary,
  type Clock,
  type RunningDevice,
  type RunningGateway,
  type RunningScenario,
  type Scenario,
  type ScenarioEvent,
} from '@ioc/simulators';
import { drivers, parseAgentConfig, startAgent, type RunningAgent } from '@ioc/edge';
import type { Registry } from '@ioc/cloud';
import { edgeConfigFor } from './edge-config.js';

/** The scenario `ioc up` runs, and the sensor its banner points at (Phủ Lý, Quang Trung: a PMS5003). */
export const DEMO = { scenario: 'ha-nam', site: 'ha-nam-phu-ly', gateway: 'gw-phu-ly-01', sensor: 'pm-01' } as const;

/** The registry's driver name for each simulated device kind. */
const REGISTRY_DRIVER = { pms5003: 'pms5003', sds011: 'sds011', modbus: 'modbus-rtu', 'opcua-station': 'opcua', camera: 'camera' } as const;

/** How often the agent polls the scenario's Modbus slaves and probes its cameras, ms. */
const MODBUS_POLL_MS = 5000;
const CAMERA_PROBE_MS = 10_000;

/** What runs for one gateway of a scenario: its agent (if any input could be configured) and what it does not read. */
export interface GatewayAgent {
  readonly site: string;
  readonly gateway: string;
  readonly agent: RunningAgent | undefined;
  /** `driver:id` of each input of the agent. */
  readonly inputs: readonly string[];
  /** Devices the agent does not read, and why (no such edge driver yet, a config the driver refuses). */
  readonly skipped: readonly { readonly sensor: string; readonly reason: string }[];
}

export interface ScenarioSite {
  readonly scenario: Scenario;
  readonly run: RunningScenario;
  readonly gateways: readonly GatewayAgent[];
  /** The history published before the agents started, when asked for. */
  readonly backfill: BackfillSummary | undefined;
  /** Stops the agents (draining their outboxes for up to 3 s), then the devices and relays. */
  close(): Promise<void>;
}

export interface ScenarioSiteOptions {
  readonly scenario: Scenario;
  readonly registry: Registry;
  /** The broker the agents reach, each through its own relay (which the scenario's network losses cut). */
  readonly mqttUrl: string;
  /** ptys, PKI folders: `runDir/<gateway>/…`. */
  readonly runDir: string;
  readonly log: Logger;
  /** Who provisions, in the registry's audit log. */
  readonly actor: string;
  readonly speed?: number;
  readonly startMs?: number;
  /** Real time for the scenario's schedule (tests pass a ManualClock). Default the system clock. */
  readonly clock?: Clock;
  /** Publish this many days of history (with the freshly issued secrets) before the agents start. */
  readonly backfillDays?: number;
  readonly backfillIntervalMs?: number;
  readonly onEvent?: (e: ScenarioEvent) => void;
  readonly onBackfillProgress?: (done: number, total: number) => void;
}

/**
 * Registers a scenario's sites, gateways, sensors and cameras, and gives every gateway a fresh secret (created, or
 * rotated if it exists: the old secret stops working). Returns the secrets, which are kept only in memory.
 */
export async function provisionScenario(registry: Registry, scenario: Scenario, actor: string): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const { site, gateway } of scenarioGateways(scenario)) {
    registry.upsertSite({ id: site.id, nameVi: site.name.vi, nameEn: site.name.en, district: site.district, lat: site.lat, lon: site.lon }, actor);
    const existing = registry.getGateway(gateway.id);
    if (existing && existing.site !== site.id) {
      throw Object.assign(new Error(`gateway ${gateway.id} belongs to site ${existing.site} in the registry, not ${site.id}`), { code: 'IOC_ERR_SCENARIO' });
    }
    const info = gateway.name ? { name: gateway.name } : {};
    secrets[gateway.id] = existing ? (await registry.rotateGatewaySecret(gateway.id, actor)).secret : (await registry.createGateway(site.id, gateway.id, actor, info)).secret;
  }
  for (const s of scenario.sensors) {
    const where = { ...(s.sensor.lat !== undefined ? { lat: s.sensor.lat } : {}), ...(s.sensor.lon !== undefined ? { lon: s.sensor.lon } : {}) };
    if (s.kind === 'camera') {
      registry.upsertCamera({ id: s.sensor.id, site: s.site.id, gateway: s.gateway.id, probe: s.sensor.protocol ?? 'rtsp', ...(s.sensor.name ? { name: s.sensor.name } : {}), ...where }, actor);
    } else {
      registry.upsertSensor({ gateway: s.gateway.id, id: s.sensor.id, driver: REGISTRY_DRIVER[s.kind], metrics: [...reportedMetrics(s)], ...(s.sensor.name ? { description: s.sensor.name } : {}), ...where }, actor);
    }
  }
  return secrets;
}

/** The agent input reading one device (cameras are grouped by agentInputs). */
function inputFor(d: RunningDevice, pkiRoot: string): Record<string, unknown> | undefined {
  const id = d.sensor.sensor.id;
  const e = d.endpoint;
  switch (e.kind) {
    case 'serial':
      if (e.modbus) {
        return {
          driver: 'modbus-rtu',
          id,
          port: e.path,
          intervalMs: MODBUS_POLL_MS,
          devices: [{ unitId: e.modbus.unitId, sensor: id, registers: e.modbus.registers.map((r) => ({ ...r })) }],
        };
      }
      return { driver: d.sensor.kind, id, port: e.path, sensor: id };
    case 'opcua':
      return { driver: 'opcua', id, endpoint: e.url, pkiDir: path.join(pkiRoot, id), trustUnknownServerCertificate: true, nodes: e.nodes.map((n) => ({ ...n, sensor: id })) };
    case 'camera':
      return undefined;
  }
}

/** The agent inputs for a gateway's devices; a device the edge cannot read (yet) is listed with the reason. */
export function agentInputs(g: RunningGateway, base: Record<string, unknown>, pkiRoot: string): { inputs: Record<string, unknown>[]; skipped: { sensor: string; reason: string }[] } {
  const skipped = g.unsupported.map((u) => ({ sensor: u.sensor.sensor.id, reason: u.reason }));
  const candidates: { sensor: string; input: Record<string, unknown> }[] = [];
  for (const d of g.devices) {
    const input = inputFor(d, pkiRoot);
    if (input) candidates.push({ sensor: d.sensor.sensor.id, input });
  }
  const cameras = g.devices.filter((d) => d.endpoint.kind === 'camera');
  if (cameras.length > 0) {
    const list = cameras.map((d) => {
      const e = d.endpoint as Extract<RunningDevice['endpoint'], { kind: 'camera' }>;
      return e.protocol === 'http' ? { id: d.sensor.sensor.id, probe: 'http', url: e.url } : { id: d.sensor.sensor.id, probe: 'rtsp', host: e.host, port: e.port };
    });
    candidates.push({ sensor: cameras.map((d) => d.sensor.sensor.id).join(', '), input: { driver: 'camera', id: 'cameras', mode: 'probe', intervalMs: CAMERA_PROBE_MS, cameras: list } });
  }
  const inputs: Record<string, unknown>[] = [];
  for (const { sensor, input } of candidates) {
    if (!(String(input.driver) in drivers)) {
      skipped.push({ sensor, reason: `this edge agent has no "${String(input.driver)}" driver` });
      continue;
    }
    try {
      parseAgentConfig({ ...base, inputs: [input] });
      inputs.push(input);
    } catch (err) {
      skipped.push({ sensor, reason: `the ${String(input.driver)} driver refuses its config: ${(err as Error).message}` });
    }
  }
  return { inputs, skipped };
}

/** The broker's host and port from its URL (the relays connect to it). */
function upstreamOf(mqttUrl: string): { host: string; port: number } {
  const url = new URL(mqttUrl);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 1883) };
}

/**
 * A scenario as a site of the system: provisions it, optionally publishes its history, starts its virtual devices
 * with a relay per gateway in front of the broker, and runs one real edge agent per gateway reading them.
 */
export async function startScenarioSite(opts: ScenarioSiteOptions): Promise<ScenarioSite> {
  const { scenario } = opts;
  const secrets = await provisionScenario(opts.registry, scenario, opts.actor);
  const backfill =
    opts.backfillDays !== undefined && opts.backfillDays > 0
      ? await publishBackfill(scenario, {
          url: opts.mqttUrl,
          passwords: secrets,
          window: { fromMs: Date.now() - opts.backfillDays * 86_400_000, toMs: Date.now(), intervalMs: opts.backfillIntervalMs ?? 300_000 },
          ...(opts.onBackfillProgress ? { onProgress: opts.onBackfillProgress } : {}),
        })
      : undefined;
  mkdirSync(opts.runDir, { recursive: true });
  const run = await runScenario(scenario, {
    runDir: opts.runDir,
    upstream: upstreamOf(opts.mqttUrl),
    ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
    ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    deferStart: true,
  });
  const gateways: GatewayAgent[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(gateways.flatMap((g) => (g.agent ? [g.agent.stop(3000)] : [])));
    await run.stop();
  };
  try {
    for (const g of run.gateways) gateways.push(await startGatewayAgent(g, secrets[g.gateway.id] ?? '', opts));
  } catch (err) {
    await close();
    throw err;
  }
  // Scenario time (values, episodes, faults) starts once every agent is up.
  run.begin();
  return { scenario, run, gateways, backfill, close };
}

async function startGatewayAgent(g: RunningGateway, secret: string, opts: ScenarioSiteOptions): Promise<GatewayAgent> {
  const site = g.site.id;
  const gateway = g.gateway.id;
  const base = edgeConfigFor(site, gateway, g.mqtt?.url ?? opts.mqttUrl, secret);
  const { inputs, skipped } = agentInputs(g, base, path.join(opts.runDir, gateway, 'pki'));
  if (inputs.length === 0) return { site, gateway, agent: undefined, inputs: [], skipped };
  const config = parseAgentConfig({ ...base, inputs });
  const agent = await startAgent(config, opts.log.child({ component: 'edge', gateway }));
  return { site, gateway, agent, inputs: inputs.map((i) => `${String(i.driver)}:${String(i.id)}`), skipped };
}

export interface DemoSite extends ScenarioSite {
  /** The host end of the banner's PMS5003 (DEMO.sensor). */
  readonly hostPath: string;
}

/** `ioc up`'s simulated site: the shipped Hà Nam scenario, run with agents against the stack's broker. */
export async function startDemoSite(opts: Omit<ScenarioSiteOptions, 'scenario' | 'actor'> & { scenarioFile?: string; actor?: string }): Promise<DemoSite> {
  const scenario = await loadScenarioFile(resolveScenarioPath(opts.scenarioFile ?? DEMO.scenario));
  const site = await startScenarioSite({ ...opts, scenario, actor: opts.actor ?? 'ioc up' });
  const device = site.run.gateways.flatMap((g) => g.devices).find((d) => d.sensor.key === `${DEMO.gateway}/${DEMO.sensor}`);
  return { ...site, hostPath: device?.endpoint.kind === 'serial' ? device.endpoint.path : '' };
}
