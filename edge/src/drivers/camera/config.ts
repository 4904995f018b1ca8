import {
  configError,
  configObject,
  optionalEnum,
  optionalInteger,
  requiredArray,
  requiredId,
  requiredString,
  type ConfigObject,
} from '../config-fields.js';
import {
  OPCUA_CONNECTION_FIELDS,
  parseOpcuaConnection,
  requiredNodeId,
  type OpcuaConnectionConfig,
} from '../opcua/index.js';

export const CAMERA_PROBES = ['tcp', 'rtsp', 'http'] as const;
export type CameraProbeKind = (typeof CAMERA_PROBES)[number];

/** What one camera's heartbeat is, in probe mode. */
export type CameraProbeTarget =
  | { readonly kind: 'tcp' | 'rtsp'; readonly host: string; readonly port: number }
  | { readonly kind: 'http'; readonly url: string };

/** A camera watched by an active probe from the gateway. */
export interface ProbedCamera {
  /** Camera id: the `sensor` of its camera_online readings. */
  readonly id: string;
  readonly target: CameraProbeTarget;
}

/** A camera watched through its NVR's OPC-UA status node (boolean: online). */
export interface NvrCamera {
  readonly id: string;
  readonly nodeId: string;
}

interface CameraCommon {
  readonly driver: 'camera';
  /** Instance id, unique within the gateway. */
  readonly id: string;
  /** Period of heartbeats (and of camera_online readings), ms. */
  readonly intervalMs: number;
  /** Consecutive missed heartbeats after which a camera is offline. */
  readonly missedHeartbeats: number;
}

export interface CameraProbeConfig extends CameraCommon {
  readonly mode: 'probe';
  /** Bound of one probe (connect, request, reply), ms. */
  readonly timeoutMs: number;
  /** Most probes in flight at once. */
  readonly concurrency: number;
  readonly cameras: readonly ProbedCamera[];
}

export interface CameraOpcuaConfig extends CameraCommon, OpcuaConnectionConfig {
  readonly mode: 'opcua';
  readonly cameras: readonly NvrCamera[];
}

/** The traffic cameras of one gateway, by probe or through an NVR. See README.md and sample.jsonc. */
export type CameraConfig = CameraProbeConfig | CameraOpcuaConfig;

export const CAMERA_DEFAULTS = {
  mode: 'probe',
  intervalMs: 30_000,
  missedHeartbeats: 3,
  timeoutMs: 3000,
  concurrency: 16,
  probe: 'rtsp',
  rtspPort: 554,
} as const;

/** Most cameras one input watches; split a larger fleet over several inputs. */
export const CAMERA_MAX = 1000;

const COMMON_FIELDS = ['driver', 'id', 'mode', 'intervalMs', 'missedHeartbeats', 'cameras'];
const PROBE_FIELDS = [...COMMON_FIELDS, 'timeoutMs', 'concurrency'];
const OPCUA_FIELDS = [...COMMON_FIELDS, ...OPCUA_CONNECTION_FIELDS];

/** Validates one raw input config (see DriverFactory.parseConfig). */
export function parseCameraConfig(raw: unknown, path: string): CameraConfig {
  const mode = optionalEnum(configObject(raw, path, [...new Set([...PROBE_FIELDS, ...OPCUA_FIELDS])]), 'mode', ['probe', 'opcua'], CAMERA_DEFAULTS.mode);
  const obj = configObject(raw, path, mode === 'probe' ? PROBE_FIELDS : OPCUA_FIELDS);
  if (obj.raw.driver !== 'camera') throw configError(`${path}.driver`, "must be 'camera'");
  const id = requiredId(obj, 'id');
  const common = {
    driver: 'camera',
    id,
    intervalMs: optionalInteger(obj, 'intervalMs', 10, 3_600_000, CAMERA_DEFAULTS.intervalMs),
    missedHeartbeats: optionalInteger(obj, 'missedHeartbeats', 1, 1000, CAMERA_DEFAULTS.missedHeartbeats),
  } as const;
  const cameras = requiredArray(obj, 'cameras', 1, CAMERA_MAX);
  if (mode === 'opcua') {
    const config: CameraOpcuaConfig = {
      ...common,
      mode,
      ...parseOpcuaConnection(obj, id),
      cameras: uniqueIds(cameras.map((c, i) => parseNvrCamera(c, `${path}.cameras[${i}]`)), `${path}.cameras`),
    };
    return Object.freeze(config);
  }
  const config: CameraProbeConfig = {
    ...common,
    mode,
    timeoutMs: optionalInteger(obj, 'timeoutMs', 10, 600_000, CAMERA_DEFAULTS.timeoutMs),
    concurrency: optionalInteger(obj, 'concurrency', 1, 256, CAMERA_DEFAULTS.concurrency),
    cameras: uniqueIds(cameras.map((c, i) => parseProbedCamera(c, `${path}.cameras[${i}]`)), `${path}.cameras`),
  };
  if (config.timeoutMs > config.intervalMs) {
    throw configError(`${path}.timeoutMs`, `must not exceed intervalMs (${config.intervalMs})`);
  }
  return Object.freeze(config);
}

function parseProbedCamera(raw: unknown, path: string): ProbedCamera {
  const kind = optionalEnum(configObject(raw, path, ['id', 'probe', 'host', 'port', 'url']), 'probe', CAMERA_PROBES, CAMERA_DEFAULTS.probe);
  const obj = configObject(raw, path, kind === 'http' ? ['id', 'probe', 'url'] : ['id', 'probe', 'host', 'port']);
  const id = requiredId(obj, 'id');
  if (kind === 'http') return Object.freeze({ id, target: Object.freeze({ kind, url: httpUrl(obj) }) });
  const port = optionalInteger(obj, 'port', 1, 65_535, CAMERA_DEFAULTS.rtspPort);
  return Object.freeze({ id, target: Object.freeze({ kind, host: hostField(obj), port }) });
}

function parseNvrCamera(raw: unknown, path: string): NvrCamera {
  const obj = configObject(raw, path, ['id', 'nodeId']);
  return Object.freeze({ id: requiredId(obj, 'id'), nodeId: requiredNodeId(obj, 'nodeId') });
}

function hostField(obj: ConfigObject): string {
  const host = requiredString(obj, 'host');
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw configError(`${obj.path}.host`, `${JSON.stringify(host)} is not a host name or IP address (no scheme, no port)`);
  }
  return host;
}

function httpUrl(obj: ConfigObject): string {
  const url = requiredString(obj, 'url');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw configError(`${obj.path}.url`, `${JSON.stringify(url)} is not an http:// or https:// URL`);
  }
  return url;
}

function uniqueIds<T extends { readonly id: string }>(cameras: T[], path: string): readonly T[] {
  const seen = new Set<string>();
  cameras.forEach((camera, i) => {
    if (seen.has(camera.id)) throw configError(`${path}[${i}].id`, `camera ${camera.id} is listed twice`);
    seen.add(camera.id);
  });
  return Object.freeze(cameras);
}
