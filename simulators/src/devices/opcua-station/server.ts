import { join } from 'node:path';
import type * as Ua from 'node-opcua';
import { codedError } from '../../util/errors.js';
import { stationProfile, type StationSample, type StationSource } from './profile.js';

/** A station variable: its key in StationSample. */
export type StationVariable = keyof StationSample;

/** Browse names of the station's variables: NodeId `ns=1;s=<station>.<name>`. */
export const STATION_VARIABLES: Readonly<Record<StationVariable, string>> = Object.freeze({
  pm25: 'PM25',
  pm10: 'PM10',
  co: 'CO',
  no2: 'NO2',
  so2: 'SO2',
  o3: 'O3',
  temperature: 'Temperature',
  humidity: 'Humidity',
});

/** Engineering units, for the variables' descriptions. */
const UNITS: Readonly<Record<StationVariable, string>> = {
  pm25: 'µg/m³',
  pm10: 'µg/m³',
  co: 'µg/m³',
  no2: 'µg/m³',
  so2: 'µg/m³',
  o3: 'µg/m³',
  temperature: '°C',
  humidity: '%',
};

/** A node-opcua StatusCodes name: 'Good', 'UncertainLastUsableValue', 'BadSensorFailure', 'BadCommunicationError', … */
export type StatusName = string;

export interface OpcuaStationServerOptions {
  /** The server's PKI (certificates, trusted and rejected clients) goes under this folder; never $HOME. */
  readonly pkiDir: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Name in the NodeIds, `ns=1;s=<stationName>.PM25`. Letters, digits, `_`, `-`. Default 'Station1'. */
  readonly stationName?: string;
  /**
   * 'None' (default): unsecured endpoint only. 'SignAndEncrypt': signed and encrypted endpoints only
   * (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss). Client certificates are accepted on first sight.
   */
  readonly security?: 'None' | 'SignAndEncrypt';
  /** Accepted user names and passwords. When given, anonymous sessions are refused. */
  readonly users?: Readonly<Record<string, string>>;
  /** Values of the station. Default: stationProfile({ seed }). */
  readonly source?: StationSource;
  /** Seed of the default source. Default 1. */
  readonly seed?: number;
  /** Time given to the source and put in SourceTimestamps. Default: the wall clock. */
  readonly clock?: () => Date;
  /** Period of new values from the source, ms. 0: values change only through setValue/update. Default 1000. */
  readonly updateIntervalMs?: number;
  /** MinimumSamplingInterval of every variable, ms. Default 100. */
  readonly minimumSamplingIntervalMs?: number;
  /** Camera ids of the NVR folder: `ns=1;s=NVR.<id>.Online` (Boolean) and `…LastSeen` (DateTime). Default none. */
  readonly cameras?: readonly string[];
}

/** What a server has done so far. */
export interface OpcuaStationServerStats {
  /** Rounds of values taken from the source. */
  updates: number;
  /** Sessions open now. */
  sessions: number;
}

interface StationNode {
  readonly node: Ua.UAVariable;
  /** A status held by setStatus, applied to the source's values until cleared. */
  heldStatus: Ua.StatusCode | undefined;
}

interface CameraNodes {
  readonly online: Ua.UAVariable;
  readonly lastSeen: Ua.UAVariable;
}

/**
 * An automatic air-quality station's data logger as an OPC-UA server on 127.0.0.1: one Double variable per measured
 * quantity (values from a source function of time, each with a StatusCode and a SourceTimestamp), and an NVR folder
 * with a settable boolean status per traffic camera. node-opcua is imported on start() (≈ 2 s), initialising takes
 * ≈ 1 s more: start one server per test file.
 */
export class OpcuaStationServer {
  private ua: typeof Ua | undefined;
  private server: Ua.OPCUAServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stationNodes = new Map<StationVariable, StationNode>();
  private readonly cameraNodes = new Map<string, CameraNodes>();
  private readonly source: StationSource;
  private readonly clock: () => Date;
  private readonly stationName: string;
  private updates = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private boundPort = 0;

  constructor(private readonly options: OpcuaStationServerOptions) {
    this.stationName = options.stationName ?? 'Station1';
    if (!/^[A-Za-z0-9_-]+$/.test(this.stationName)) throw new RangeError('stationName: letters, digits, _ and - only');
    for (const id of options.cameras ?? []) {
      if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new RangeError(`camera id ${JSON.stringify(id)}: letters, digits, _ and - only`);
    }
    this.source = options.source ?? stationProfile({ seed: options.seed ?? 1 });
    this.clock = options.clock ?? (() => new Date());
  }

  /** `opc.tcp://127.0.0.1:<port>` once started. */
  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  /** The port listened on (the chosen one when 0 was asked), once started. */
  get port(): number {
    return this.boundPort;
  }

  /** The NodeId string of a station variable, e.g. `ns=1;s=Station1.PM25`. */
  nodeId(variable: StationVariable): string {
    return `ns=1;s=${this.stationName}.${STATION_VARIABLES[variable]}`;
  }

  /** The NodeId of a camera's boolean status (`Online`) or its last-seen time (`LastSeen`). */
  cameraNodeId(cameraId: string, field: 'Online' | 'LastSeen' = 'Online'): string {
    return `ns=1;s=NVR.${cameraId}.${field}`;
  }

  stats(): OpcuaStationServerStats {
    return { updates: this.updates, sessions: this.server?.currentSessionCount ?? 0 };
  }

  /** Builds the address space, listens, writes the first values and starts the update timer. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw codedError('IOC_ERR_SIM_STATE', 'simulator already started');
    this.state = 'running';
    const ua = await import('node-opcua');
    this.ua = ua;
    const server = new ua.OPCUAServer(this.serverOptions(ua));
    this.server = server;
    await server.initialize();
    this.buildAddressSpace(ua, server);
    await server.start();
    this.boundPort = server.endpoints[0]?.port ?? 0;
    this.update();
    const every = this.options.updateIntervalMs ?? 1000;
    if (every > 0) this.timer = setInterval(() => this.update(), every);
  }

  /** Stops the timer and shuts down at once (`shutdown(0)`): clients see the connection drop. */
  async stop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    clearInterval(this.timer);
    if (wasRunning) await this.server?.shutdown(0);
  }

  /** Takes one round of values from the source now, stamped clock(); held statuses stay. */
  update(): void {
    const ua = this.requireRunning();
    const now = this.clock();
    const sample = this.source(now);
    for (const [variable, entry] of this.stationNodes) {
      entry.node.setValueFromSource(double(ua, sample[variable]), entry.heldStatus ?? ua.StatusCodes.Good, now);
    }
    this.updates += 1;
  }

  /** Writes one value of a station variable with a StatusCode (default Good) and SourceTimestamp (default clock()). */
  setValue(variable: StationVariable, value: number, options: { status?: StatusName; sourceTimestamp?: Date } = {}): void {
    const ua = this.requireRunning();
    const entry = this.stationEntry(variable);
    entry.node.setValueFromSource(double(ua, value), statusCode(ua, options.status ?? 'Good'), options.sourceTimestamp ?? this.clock());
  }

  /**
   * Holds a StatusCode on a variable (an analyser in fault or calibration): the current value is rewritten with it at
   * once, and every later value from the source carries it until `setStatus(variable, undefined)`.
   */
  setStatus(variable: StationVariable, status: StatusName | undefined): void {
    const ua = this.requireRunning();
    const entry = this.stationEntry(variable);
    entry.heldStatus = status === undefined ? undefined : statusCode(ua, status);
    const current = entry.node.readValue().value;
    entry.node.setValueFromSource(current, entry.heldStatus ?? ua.StatusCodes.Good, this.clock());
  }

  /** Sets a camera's status as the NVR reports it; `LastSeen` moves to clock() while online. */
  setCameraOnline(cameraId: string, online: boolean, options: { status?: StatusName } = {}): void {
    const ua = this.requireRunning();
    const nodes = this.cameraNodes.get(cameraId);
    if (!nodes) throw codedError('IOC_ERR_SIM_UNKNOWN', `no camera ${cameraId} in the NVR folder`);
    const now = this.clock();
    nodes.online.setValueFromSource({ dataType: ua.DataType.Boolean, value: online }, statusCode(ua, options.status ?? 'Good'), now);
    if (online) nodes.lastSeen.setValueFromSource({ dataType: ua.DataType.DateTime, value: now }, ua.StatusCodes.Good, now);
  }

  private serverOptions(ua: typeof Ua): Ua.OPCUAServerOptions {
    const manager = (name: string): Ua.OPCUACertificateManager =>
      new ua.OPCUACertificateManager({
        rootFolder: join(this.options.pkiDir, name),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      });
    const secure = this.options.security === 'SignAndEncrypt';
    const users = this.options.users;
    return {
      port: this.options.port ?? 0,
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      serverCertificateManager: manager('server'),
      userCertificateManager: manager('user'),
      securityModes: secure ? [ua.MessageSecurityMode.SignAndEncrypt] : [ua.MessageSecurityMode.None],
      securityPolicies: secure
        ? [ua.SecurityPolicy.Basic256Sha256, ua.SecurityPolicy.Aes128_Sha256_RsaOaep, ua.SecurityPolicy.Aes256_Sha256_RsaPss]
        : [ua.SecurityPolicy.None],
      allowAnonymous: users === undefined,
      userManager: { isValidUser: (user: string, password: string) => users !== undefined && users[user] === password },
      buildInfo: { productName: 'IOC Telemetry simulated station logger', manufacturerName: 'IOC Telemetry' },
    };
  }

  private buildAddressSpace(ua: typeof Ua, server: Ua.OPCUAServer): void {
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw codedError('IOC_ERR_SIM_STATE', 'OPC-UA server has no address space');
    const namespace = addressSpace.getOwnNamespace();
    const minimumSamplingInterval = this.options.minimumSamplingIntervalMs ?? 100;
    const station = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: this.stationName, nodeId: `s=${this.stationName}` });
    for (const variable of Object.keys(STATION_VARIABLES) as StationVariable[]) {
      const name = STATION_VARIABLES[variable];
      const node = namespace.addVariable({
        componentOf: station,
        browseName: name,
        nodeId: `s=${this.stationName}.${name}`,
        description: `${name} (${UNITS[variable]})`,
        dataType: 'Double',
        minimumSamplingInterval,
      });
      this.stationNodes.set(variable, { node, heldStatus: undefined });
    }
    const nvr = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: 'NVR', nodeId: 's=NVR' });
    for (const id of this.options.cameras ?? []) {
      const camera = namespace.addObject({ organizedBy: nvr, browseName: id, nodeId: `s=NVR.${id}` });
      const online = namespace.addVariable({ componentOf: camera, browseName: 'Online', nodeId: `s=NVR.${id}.Online`, dataType: 'Boolean', minimumSamplingInterval });
      const lastSeen = namespace.addVariable({ componentOf: camera, browseName: 'LastSeen', nodeId: `s=NVR.${id}.LastSeen`, dataType: 'DateTime', minimumSamplingInterval });
      this.cameraNodes.set(id, { online, lastSeen });
    }
    const now = this.clock();
    for (const nodes of this.cameraNodes.values()) {
      nodes.online.setValueFromSource({ dataType: ua.DataType.Boolean, value: true }, ua.StatusCodes.Good, now);
      nodes.lastSeen.setValueFromSource({ dataType: ua.DataType.DateTime, value: now }, ua.StatusCodes.Good, now);
    }
  }

  private stationEntry(variable: StationVariable): StationNode {
    const entry = this.stationNodes.get(variable);
    if (!entry) throw codedError('IOC_ERR_SIM_UNKNOWN', `no station variable ${String(variable)}`);
    return entry;
  }

  private requireRunning(): typeof Ua {
    if (this.state !== 'running' || !this.ua || this.stationNodes.size === 0) {
      throw codedError('IOC_ERR_SIM_STATE', 'simulator is not running');
    }
    return this.ua;
  }
}

function double(ua: typeof Ua, value: number): Ua.VariantOptions {
  return { dataType: ua.DataType.Double, value };
}

function statusCode(ua: typeof Ua, name: StatusName): Ua.StatusCode {
  const code = (ua.StatusCodes as unknown as Record<string, Ua.StatusCode | undefined>)[name];
  if (!code || typeof code.value !== 'number') throw codedError('IOC_ERR_SIM_STATUS', `unknown StatusCode name ${JSON.stringify(name)}`);
  return code;
}
