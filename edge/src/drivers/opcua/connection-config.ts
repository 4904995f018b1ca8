// The connection half of an OPC-UA input config: shared by the `opcua` driver and the `camera` driver's NVR mode.
import {
  configError,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  requiredString,
  type ConfigObject,
} from '../config-fields.js';

export const OPCUA_SECURITY_MODES = ['None', 'SignAndEncrypt'] as const;
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

/** Policies offered with SignAndEncrypt (node-opcua names). Basic128Rsa15 and Basic256 are deprecated and refused. */
export const OPCUA_SECURE_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export type OpcuaSecurityPolicy = 'None' | (typeof OPCUA_SECURE_POLICIES)[number];

/** How to reach one OPC-UA server and how fast to sample it. See opcua/README.md and opcua/sample.jsonc. */
export interface OpcuaConnectionConfig {
  /** `opc.tcp://host:port[/path]`. */
  readonly endpoint: string;
  readonly securityMode: OpcuaSecurityMode;
  /** 'None' exactly when securityMode is 'None'. */
  readonly securityPolicy: OpcuaSecurityPolicy;
  /** User name of a UserName identity token; absent: anonymous. */
  readonly username?: string;
  /** The password itself (prefer passwordFile: a config file is often shared). */
  readonly password?: string;
  /** File holding the password (read at every connection attempt; trailing newline ignored). */
  readonly passwordFile?: string;
  /**
   * Folder of the client's PKI (own certificate and key, trusted/ and rejected/ server certificates). Relative paths
   * are resolved against the agent's working directory (its data directory). Default `pki/<input id>`.
   */
  readonly pkiDir: string;
  /** Trust a server certificate seen for the first time (otherwise it lands in pkiDir/rejected/ until moved). */
  readonly trustUnknownServerCertificate: boolean;
  /** Requested sampling interval of every monitored item, ms (the server may revise it). */
  readonly samplingIntervalMs: number;
  /** Requested publishing interval of the subscription, ms. */
  readonly publishingIntervalMs: number;
  /** Bound of one connection attempt (channel, session, subscription), ms. */
  readonly connectTimeoutMs: number;
  /** First delay before reconnecting, ms; doubles (±20 % jitter) up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
}

export const OPCUA_CONNECTION_DEFAULTS = {
  securityMode: 'None',
  secureSecurityPolicy: 'Basic256Sha256',
  trustUnknownServerCertificate: false,
  samplingIntervalMs: 1000,
  connectTimeoutMs: 10_000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
} as const;

/** The config keys parseOpcuaConnection reads. */
export const OPCUA_CONNECTION_FIELDS = [
  'endpoint',
  'securityMode',
  'securityPolicy',
  'username',
  'password',
  'passwordFile',
  'pkiDir',
  'trustUnknownServerCertificate',
  'samplingIntervalMs',
  'publishingIntervalMs',
  'connectTimeoutMs',
  'reconnectMinMs',
  'reconnectMaxMs',
] as const;

/** Reads the connection fields of `obj` (an input config whose `id` is `id`), with defaults applied. */
export function parseOpcuaConnection(obj: ConfigObject, id: string): OpcuaConnectionConfig {
  const d = OPCUA_CONNECTION_DEFAULTS;
  const securityMode = optionalEnum(obj, 'securityMode', OPCUA_SECURITY_MODES, d.securityMode);
  const samplingIntervalMs = optionalInteger(obj, 'samplingIntervalMs', 10, 3_600_000, d.samplingIntervalMs);
  const config: OpcuaConnectionConfig = {
    endpoint: endpointField(obj),
    securityMode,
    securityPolicy: securityPolicyField(obj, securityMode),
    ...credentialFields(obj),
    pkiDir: optionalString(obj, 'pkiDir') ?? `pki/${id}`,
    trustUnknownServerCertificate: optionalBoolean(obj, 'trustUnknownServerCertificate', d.trustUnknownServerCertificate),
    samplingIntervalMs,
    publishingIntervalMs: optionalInteger(obj, 'publishingIntervalMs', 10, 3_600_000, samplingIntervalMs),
    connectTimeoutMs: optionalInteger(obj, 'connectTimeoutMs', 100, 600_000, d.connectTimeoutMs),
    reconnectMinMs: optionalInteger(obj, 'reconnectMinMs', 10, 600_000, d.reconnectMinMs),
    reconnectMaxMs: optionalInteger(obj, 'reconnectMaxMs', 10, 3_600_000, d.reconnectMaxMs),
  };
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw configError(`${obj.path}.reconnectMaxMs`, `must be at least reconnectMinMs (${config.reconnectMinMs})`);
  }
  return config;
}

function endpointField(obj: ConfigObject): string {
  const endpoint = requiredString(obj, 'endpoint');
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'opc.tcp:' || url.hostname === '') {
    throw configError(`${obj.path}.endpoint`, `${JSON.stringify(endpoint)} is not an opc.tcp://host:port URL`);
  }
  return endpoint;
}

function securityPolicyField(obj: ConfigObject, mode: OpcuaSecurityMode): OpcuaSecurityPolicy {
  const path = `${obj.path}.securityPolicy`;
  if (mode === 'None') {
    const value = obj.raw.securityPolicy;
    if (value !== undefined && value !== 'None') throw configError(path, "must be 'None' (or absent) when securityMode is 'None'");
    return 'None';
  }
  if (obj.raw.securityPolicy === 'None') throw configError(path, "must not be 'None' with securityMode 'SignAndEncrypt'");
  return optionalEnum(obj, 'securityPolicy', OPCUA_SECURE_POLICIES, OPCUA_CONNECTION_DEFAULTS.secureSecurityPolicy);
}

function credentialFields(obj: ConfigObject): Pick<OpcuaConnectionConfig, 'username' | 'password' | 'passwordFile'> {
  const username = optionalString(obj, 'username');
  const password = obj.raw.password === undefined ? undefined : passwordField(obj);
  const passwordFile = optionalString(obj, 'passwordFile');
  if (password !== undefined && passwordFile !== undefined) {
    throw configError(`${obj.path}.passwordFile`, 'give either password or passwordFile, not both');
  }
  const hasPassword = password !== undefined || passwordFile !== undefined;
  if (username === undefined && hasPassword) throw configError(`${obj.path}.username`, 'is required with a password');
  if (username !== undefined && !hasPassword) throw configError(`${obj.path}.password`, 'password or passwordFile is required with a username');
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(passwordFile === undefined ? {} : { passwordFile }),
  };
}

/** A password may be any string but the empty one (spaces are significant, so no trimming). */
function passwordField(obj: ConfigObject): string {
  const value = obj.raw.password;
  if (typeof value !== 'string') throw configError(`${obj.path}.password`, 'must be a string');
  if (value === '') throw configError(`${obj.path}.password`, 'must not be empty');
  return value;
}
