import { createScenarioClock, type Clock, type ScenarioClock } from './clock.js';
import { deviceStarters, gatewayDir, type DeviceStarter, type RunningDevice } from './devices.js';
import { SCENARIO_ERRORS, scenarioError } from './errors.js';
import { startFaultTimer, type FaultEvent, type FaultTimer } from './fault-timer.js';
import { SERIAL_KINDS, type DeviceKind } from './metrics.js';
import { scenarioGateways, type Scenario, type ScenarioSensor } from './scenario.js';
import { compileSchedule, type ActiveFault, type Schedule } from './schedule.js';
import type { GatewaySpec, SiteSpec } from './schema.js';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';
import { createValueModel, type ValueModel } from './values.js';

export interface RunScenarioOptions {
  /** Folder for the ptys: `runDir/<gateway>/<sensor>` is each serial device's host end. */
  runDir: string;
  /** Real time and timers. Default the system clock; tests pass a ManualClock. */
  clock?: Clock;
  /** Scenario seconds per real second; overrides the file's `speed`. */
  speed?: number;
  /** Scenario time at the start, epoch ms; overrides the file's `start` (default: now). */
  startMs?: number;
  /** The broker: when given, each gateway gets a loopback TCP relay to it, which network-loss faults sever. */
  upstream?: { host: string; port: number };
  /** What the scenario does, as it does it (fault transitions, failed actions). */
  onEvent?: (event: ScenarioEvent) => void;
  /**
   * Keep scenario time at its origin and the fault schedule idle until begin() (e.g. until the agents are up), so a
   * fast scenario does not spend its first minutes on start-up. Default false: time runs once the devices are up.
   */
  deferStart?: boolean;
  /** Device starters by kind. Default: every simulator of this build (deviceStarters). */
  starters?: Partial<Record<DeviceKind, DeviceStarter>>;
}

export type ScenarioEvent =
  | {
      readonly type: 'fault';
      readonly phase: 'start' | 'end';
      /** e.g. `faults[3]` */
      readonly fault: string;
      readonly kind: string;
      /** `gateway/sensor`, or a gateway. */
      readonly target: string;
      readonly scenarioMs: number;
      /** False when nothing in this run can carry it out (no relay, unsupported device); `detail` says why. */
      readonly applied: boolean;
      readonly detail?: string;
    }
  | { readonly type: 'error'; readonly target: string; readonly message: string };

/** A device kind the scenario asks for that this build cannot simulate. */
export interface UnsupportedDevice {
  readonly sensor: ScenarioSensor;
  readonly reason: string;
}

export interface RunningGateway {
  readonly site: SiteSpec;
  readonly gateway: GatewaySpec;
  /** Where the gateway's agent connects to reach the broker (its relay), when an upstream was given. */
  readonly mqtt?: { readonly host: string; readonly port: number; readonly url: string };
  readonly relay?: TcpRelay;
  readonly devices: readonly RunningDevice[];
  readonly unsupported: readonly UnsupportedDevice[];
}

export interface RunningScenario {
  readonly scenario: Scenario;
  readonly clock: ScenarioClock;
  readonly schedule: Schedule;
  readonly values: ValueModel;
  readonly gateways: readonly RunningGateway[];
  /** Every device the scenario asked for that this build cannot simulate. */
  readonly unsupported: readonly UnsupportedDevice[];
  activeFaults(): readonly ActiveFault[];
  /** Starts scenario time and the fault schedule (done by runScenario unless deferStart). Idempotent. */
  begin(): void;
  /** Resolves once every fault action begun so far has finished (unplugging takes a socat exit). */
  idle(): Promise<void>;
  /** Stops the fault timer, the devices and the relays. Idempotent. */
  stop(): Promise<void>;
}

const START_CONCURRENCY = 4;

/**
 * Runs a scenario's virtual devices (the devices only: agents are the composition root's business) and applies its
 * fault schedule on a scenario clock. Device kinds without a simulator are listed in `unsupported`.
 */
export async function runScenario(scenario: Scenario, opts: RunScenarioOptions): Promise<RunningScenario> {
  const spec = scenario.spec;
  const real = opts.clock;
  const originMs = opts.startMs ?? (spec.start !== undefined ? Date.parse(spec.start) : (real ?? Date).now());
  // Scenario time stands at the origin while the devices start.
  const clock = createScenarioClock({ originMs, speed: opts.speed ?? spec.speed, paused: true, ...(real ? { real } : {}) });
  const schedule = compileSchedule(scenario, originMs);
  const values = createValueModel(scenario, schedule);
  const starters = opts.starters ?? deviceStarters;
  const emit = opts.onEvent ?? (() => undefined);

  // Each pty pair registers an exit hook that reaps its socat; serial devices use two pairs (see LineTap).
  const serial = scenario.sensors.filter((s) => SERIAL_KINDS.includes(s.kind)).length;
  process.setMaxListeners(Math.max(process.getMaxListeners(), process.listenerCount('exit') + 2 * serial + 10));

  const gateways: RunningGateway[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(gateways.flatMap((g) => [...g.devices.map((d) => d.stop()), ...(g.relay ? [g.relay.close()] : [])]));
  };
  try {
    for (const { site, gateway } of scenarioGateways(scenario)) {
      const devices: RunningDevice[] = [];
      const unsupported: UnsupportedDevice[] = [];
      const entry: { -readonly [K in keyof RunningGateway]: RunningGateway[K] } = { site, gateway, devices, unsupported };
      gateways.push(entry);
      if (opts.upstream) {
        entry.relay = await startTcpRelay({ upstream: opts.upstream });
        entry.mqtt = { host: entry.relay.host, port: entry.relay.port, url: `mqtt://${entry.relay.host}:${entry.relay.port}` };
      }
      const sensors = scenario.sensors.filter((s) => s.gateway === gateway);
      const ctx = { dir: gatewayDir(opts.runDir, gateway.id), seed: spec.seed, values, clock };
      await inBatches(sensors, START_CONCURRENCY, async (s) => {
        const start = starters[s.kind];
        if (!start) {
          unsupported.push({ sensor: s, reason: `no simulator for device kind "${s.kind}" in this build` });
          return;
        }
        try {
          devices.push(await start(s, ctx));
        } catch (err) {
          throw scenarioError(s.key, `could not start the ${s.kind} simulator: ${(err as Error).message}`, SCENARIO_ERRORS.device);
        }
      });
      devices.sort((a, b) => sensors.indexOf(a.sensor) - sensors.indexOf(b.sensor));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const faults = faultApplier(gateways, schedule, emit);
  let timer: FaultTimer | undefined;
  let stopping: Promise<void> | undefined;
  const begin = (): void => {
    if (timer || stopping) return;
    clock.start();
    timer = startFaultTimer(schedule, clock, (e) => faults.onEvent(e));
  };
  if (!opts.deferStart) begin();
  return {
    scenario,
    clock,
    schedule,
    values,
    gateways,
    unsupported: gateways.flatMap((g) => g.unsupported),
    activeFaults: () => timer?.active() ?? [],
    begin,
    idle: () => faults.idle(),
    stop: () =>
      (stopping ??= (async () => {
        timer?.stop();
        await faults.idle();
        await stopAll();
      })()),
  };
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    const results = await Promise.allSettled(items.slice(i, i + size).map(fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Turns fault transitions into actions. For each target the wanted state is recomputed from every fault holding at
 * the transition's instant (so overlapping windows compose), then applied; actions on one target run in order.
 */
function faultApplier(gateways: readonly RunningGateway[], schedule: Schedule, emit: (e: ScenarioEvent) => void) {
  const chains = new Map<string, Promise<void>>();
  const devices = new Map(gateways.flatMap((g) => g.devices.map((d) => [d.sensor.key, d] as const)));
  const unsupported = new Set(gateways.flatMap((g) => g.unsupported.map((u) => u.sensor.key)));
  const relays = new Map(gateways.map((g) => [g.gateway.id, g.relay] as const));

  const reasonNotApplied = (e: FaultEvent): string | undefined => {
    const { kind } = e.fault.spec;
    if (kind === 'stuck' || kind === 'spike') return undefined; // the value model applies them
    if (kind === 'network-loss') return relays.get(e.fault.target) ? undefined : 'no relay: this run has no agents/broker link to cut';
    if (unsupported.has(e.fault.target)) return 'the device is not simulated in this build';
    return undefined;
  };
  const apply = async (target: string, t: number): Promise<void> => {
    const holding = schedule.activeFaults(t).filter((a) => a.fault.target === target).map((a) => a.fault.spec);
    const any = (kind: string): boolean => holding.some((f) => f.kind === kind);
    const rate = (kind: string): number => Math.max(0, ...holding.filter((f) => f.kind === kind).map((f) => f.rate ?? 0.3));
    const relay = relays.get(target);
    if (relay) {
      const loss = holding.find((f) => f.kind === 'network-loss');
      if (loss && !relay.severed) relay.sever(loss.mode ?? 'blackhole');
      if (!loss && relay.severed) relay.restore();
      return;
    }
    const device = devices.get(target);
    if (!device) return;
    if (device.line) {
      device.line.setFaults({ silent: any('dropout'), garbageRate: rate('garbage'), corruptRate: rate('bad-checksum') });
      if (any('unplugged') && device.line.plugged) await device.line.unplug();
      if (!any('unplugged') && !device.line.plugged) await device.line.replug();
    }
    if (device.setDown) await device.setDown(any('camera-down'));
  };
  return {
    onEvent(e: FaultEvent): void {
      const detail = reasonNotApplied(e);
      emit({
        type: 'fault',
        phase: e.phase,
        fault: `faults[${e.fault.index}]`,
        kind: e.fault.spec.kind,
        target: e.fault.target,
        scenarioMs: e.scenarioMs,
        applied: detail === undefined,
        ...(detail ? { detail } : {}),
      });
      const target = e.fault.target;
      const next = (chains.get(target) ?? Promise.resolve())
        .then(() => apply(target, e.scenarioMs))
        .catch((err: unknown) => emit({ type: 'error', target, message: (err as Error).message }));
      chains.set(target, next);
    },
    async idle(): Promise<void> {
      await Promise.all(chains.values());
    },
  };
}
