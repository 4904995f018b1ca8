import {
  configError,
  configObject,
  requiredArray,
  requiredId,
  requiredMetric,
  requiredString,
} from '../config-fields.js';
import { OPCUA_CONNECTION_FIELDS, parseOpcuaConnection, type OpcuaConnectionConfig } from './connection-config.js';

/** One OPC-UA variable and the (sensor, metric) its values are reported as. */
export interface OpcuaNodeConfig {
  /** e.g. `ns=1;s=Station1.PM25`, `ns=2;i=1042`, `nsu=urn:vendor:logger;s=PM10`. */
  readonly nodeId: string;
  readonly sensor: string;
  /** A catalogued metric; the server's value must already be in its canonical unit (see docs/protocol.md). */
  readonly metric: string;
}

/** One OPC-UA server (a station's data logger) and the variables to subscribe to. See README.md, sample.jsonc. */
export interface OpcuaConfig extends OpcuaConnectionConfig {
  readonly driver: 'opcua';
  /** Instance id, unique within the gateway (logs, stats, default pkiDir). */
  readonly id: string;
  readonly nodes: readonly OpcuaNodeConfig[];
}

/** Most monitored items one subscription is given; a station logger has tens. */
export const OPCUA_MAX_NODES = 5000;

const FIELDS = ['driver', 'id', 'nodes', ...OPCUA_CONNECTION_FIELDS];
const NODE_FIELDS = ['nodeId', 'sensor', 'metric'];

/**
 * NodeId in its string form (OPC-UA Part 6 §5.3.1.10): optional `ns=<index>;` or `nsu=<uri>;`, then `i=<uint32>`,
 * `s=<string>`, `g=<guid>` or `b=<base64>`.
 */
const NODE_ID = /^(?:(?:ns=\d{1,5}|nsu=[^;]+);)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$/s;

/** Validates one raw input config (see DriverFactory.parseConfig). */
export function parseOpcuaConfig(raw: unknown, path: string): OpcuaConfig {
  const obj = configObject(raw, path, FIELDS);
  if (obj.raw.driver !== 'opcua') throw configError(`${path}.driver`, "must be 'opcua'");
  const id = requiredId(obj, 'id');
  const config: OpcuaConfig = {
    driver: 'opcua',
    id,
    ...parseOpcuaConnection(obj, id),
    nodes: parseNodes(requiredArray(obj, 'nodes', 1, OPCUA_MAX_NODES), `${path}.nodes`),
  };
  return Object.freeze(config);
}

/** Reads a `nodeId` field of `obj`, checking its syntax. */
export function requiredNodeId(obj: { raw: Readonly<Record<string, unknown>>; path: string }, key: string): string {
  const nodeId = requiredString(obj, key);
  if (!NODE_ID.test(nodeId)) {
    throw configError(`${obj.path}.${key}`, `${JSON.stringify(nodeId)} is not a NodeId such as "ns=1;s=Station1.PM25" or "ns=2;i=1042"`);
  }
  return nodeId;
}

function parseNodes(raw: readonly unknown[], path: string): readonly OpcuaNodeConfig[] {
  const nodeIds = new Set<string>();
  const pairs = new Set<string>();
  const nodes = raw.map((entry, i) => {
    const obj = configObject(entry, `${path}[${i}]`, NODE_FIELDS);
    const node: OpcuaNodeConfig = Object.freeze({
      nodeId: requiredNodeId(obj, 'nodeId'),
      sensor: requiredId(obj, 'sensor'),
      metric: requiredMetric(obj, 'metric'),
    });
    if (nodeIds.has(node.nodeId)) throw configError(`${obj.path}.nodeId`, `${node.nodeId} is listed twice`);
    const pair = `${node.sensor}/${node.metric}`;
    if (pairs.has(pair)) throw configError(`${obj.path}.metric`, `sensor ${node.sensor} already has a node for ${node.metric}`);
    nodeIds.add(node.nodeId);
    pairs.add(pair);
    return node;
  });
  return Object.freeze(nodes);
}
