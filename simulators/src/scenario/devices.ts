import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CameraFleet } from '../devices/cameras/fleet.js';
import { ModbusSlaveSimulator } from '../devices/modbus/simulator.js';
import { OpcuaStationServer } from '../devices/opcua-station/server.js';
import { Pms5003Simulator } from '../devices/pms5003/simulator.js';
import { Sds011Simulator } from '../devices/sds011/simulator.js';
import type { ScenarioClock } from './clock.js';
import { openLineTap, type LineTap } from './line-tap.js';
import { OPCUA_STATION_METRICS, type DeviceKind } from './metrics.js';
import { MODBUS_REGISTER_MAPS, modbusUnit, type ScenarioRegister } from './modbus-maps.js';
import { hashString } from './noise.js';
import { reportedMetrics } from './reported.js';
import type { ScenarioSensor } from './scenario.js';
import type { ValueModel } from './values.js';

/** Where the edge agent finds a running device. */
export type DeviceEndpoint =
  /** A serial port (pty) the agent opens; for a Modbus slave, its unit address and register map too. */
  | {
      readonly kind: 'serial';
      readonly path: string;
      readonly modbus?: { readonly unitId: number; readonly registers: readonly ScenarioRegister[] };
    }
  /** An OPC-UA server and the variables to subscribe to. */
  | { readonly kind: 'opcua'; readonly url: string; readonly nodes: readonly { readonly nodeId: string; readonly metric: string }[] }
  /** A camera answering heartbeats on a loopback port. */
  | { readonly kind: 'camera'; readonly protocol: 'rtsp' | 'http'; readonly host: string; readonly port: number; readonly url?: string };

/** A virtual device a scenario runs. */
export interface RunningDevice {
  readonly sensor: ScenarioSensor;
  readonly endpoint: DeviceEndpoint;
  /** The metrics the edge reports for it (what to register). */
  readonly metrics: readonly string[];
  /** Serial devices: the line in front of them (dropouts, garbage, bad checksums, unplugging). */
  readonly line?: LineTap;
  /** Cameras: stop (true) or resume (false) answering heartbeats. */
  setDown?(down: boolean): Promise<void>;
  /** The device's own counters. */
  stats(): Readonly<Record<string, number>>;
  /** Nothing is sent after this resolves. */
  stop(): Promise<void>;
}

export interface DeviceContext {
  /** Folder for this gateway's ptys (created if missing). */
  readonly dir: string;
  readonly seed: number;
  readonly values: ValueModel;
  readonly clock: ScenarioClock;
}

export type DeviceStarter = (s: ScenarioSensor, ctx: DeviceContext) => Promise<RunningDevice>;

/** A per-device seed: the scenario's seed mixed with the sensor's key. */
export function deviceSeed(seed: number, key: string): number {
  return (seed ^ hashString(key)) >>> 0;
}

/** Opens the line tap of a serial device at `dir/<sensor id>`. */
async function openLine(s: ScenarioSensor, ctx: DeviceContext): Promise<LineTap> {
  await mkdir(ctx.dir, { recursive: true });
  return openLineTap(ctx.dir, s.sensor.id, { seed: deviceSeed(ctx.seed, `${s.key}/line`) });
}

// Every device keeps the wall clock for its own timing and timestamps; only its values are read at scenario time
// (ctx.clock), so a faster scenario never puts a future timestamp on the wire.

/** Starts a simulator behind its line; closes the line if the simulator does not start. */
async function serialDevice(
  s: ScenarioSensor,
  ctx: DeviceContext,
  create: (path: string) => { start(): Promise<void>; stop(): Promise<void>; stats(): object },
  modbus?: { unitId: number; registers: readonly ScenarioRegister[] },
): Promise<RunningDevice> {
  const line = await openLine(s, ctx);
  const sim = create(line.devicePath);
  try {
    await sim.start();
  } catch (err) {
    await sim.stop();
    await line.close();
    throw err;
  }
  return {
    sensor: s,
    endpoint: { kind: 'serial', path: line.hostPath, ...(modbus ? { modbus } : {}) },
    metrics: reportedMetrics(s),
    line,
    stats: () => ({ ...(sim.stats() as Record<string, number>), ...prefixed('line', line.stats()) }),
    async stop() {
      await sim.stop();
      await line.close();
    },
  };
}

function prefixed(prefix: string, stats: object): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [`${prefix}.${k}`, v as number]));
}

const pms5003: DeviceStarter = (s, ctx) =>
  serialDevice(s, ctx, (path) =>
    new Pms5003Simulator({
      path,
      intervalMs: s.sensor.intervalMs ?? 1000,
      seed: deviceSeed(ctx.seed, s.key),
      source: () => {
        const v = ctx.values.valuesAt(s.key, ctx.clock.now());
        return { pm1: v.pm1 ?? 0, pm25: v.pm25 ?? 0, pm10: v.pm10 ?? 0 };
      },
    }),
  );

const sds011: DeviceStarter = (s, ctx) =>
  serialDevice(s, ctx, (path) =>
    new Sds011Simulator({
      path,
      intervalMs: s.sensor.intervalMs ?? 1000,
      seed: deviceSeed(ctx.seed, s.key),
      source: () => {
        const v = ctx.values.valuesAt(s.key, ctx.clock.now());
        return { pm25: v.pm25 ?? 0, pm10: v.pm10 ?? 0 };
      },
    }),
  );

const modbus: DeviceStarter = (s, ctx) => {
  const registers = MODBUS_REGISTER_MAPS[s.sensor.registerMap ?? 'gas'];
  const unitId = s.sensor.unit ?? 1;
  const valueOf = (metric: string): number => ctx.values.valuesAt(s.key, ctx.clock.now())[metric] ?? 0;
  return serialDevice(
    s,
    ctx,
    (path) => new ModbusSlaveSimulator({ path, units: [modbusUnit(unitId, registers, valueOf)] }),
    { unitId, registers },
  );
};

const opcuaStation: DeviceStarter = async (s, ctx) => {
  await mkdir(ctx.dir, { recursive: true });
  const server = new OpcuaStationServer({
    pkiDir: join(ctx.dir, `${s.sensor.id}.pki`),
    stationName: s.sensor.id,
    updateIntervalMs: s.sensor.intervalMs ?? 1000,
    // SourceTimestamps are the wall clock's (the server's default): only the values follow scenario time.
    source: () => {
      const v = ctx.values.valuesAt(s.key, ctx.clock.now());
      const [pm25, pm10, co, no2, so2, o3, temperature, humidity] = OPCUA_STATION_METRICS.map((m) => v[m] ?? 0);
      return { pm25: pm25!, pm10: pm10!, co: co!, no2: no2!, so2: so2!, o3: o3!, temperature: temperature!, humidity: humidity! };
    },
  });
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    sensor: s,
    endpoint: { kind: 'opcua', url: server.endpointUrl, nodes: OPCUA_STATION_METRICS.map((metric) => ({ nodeId: server.nodeId(metric), metric })) },
    metrics: reportedMetrics(s),
    stats: () => ({ ...server.stats() }),
    stop: () => server.stop(),
  };
};

const camera: DeviceStarter = async (s, ctx) => {
  const protocol = s.sensor.protocol ?? 'rtsp';
  const fleet = new CameraFleet({ cameras: [{ id: s.sensor.id, protocols: protocol }], syncIntervalMs: 0, seed: deviceSeed(ctx.seed, s.key) });
  try {
    await fleet.start();
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  const at = fleet.camera(s.sensor.id);
  return {
    sensor: s,
    endpoint:
      protocol === 'rtsp'
        ? { kind: 'camera', protocol, host: at.host, port: at.rtspPort }
        : { kind: 'camera', protocol, host: at.host, port: at.httpPort, url: at.statusUrl },
    metrics: reportedMetrics(s),
    setDown: (down) => fleet.setUp(s.sensor.id, !down),
    stats: () => ({ ...fleet.stats() }),
    stop: () => fleet.stop(),
  };
};

/**
 * The device kinds this build can simulate. A kind missing here is reported by the runner as unsupported, never
 * silently skipped.
 */
export const deviceStarters: Partial<Record<DeviceKind, DeviceStarter>> = {
  pms5003,
  sds011,
  modbus,
  'opcua-station': opcuaStation,
  camera,
};

export function gatewayDir(runDir: string, gateway: string): string {
  return join(runDir, gateway);
}
