export { OPCUA_MAX_NODES, parseOpcuaConfig, requiredNodeId, type OpcuaConfig, type OpcuaNodeConfig } from './config.js';
export {
  OPCUA_CONNECTION_DEFAULTS,
  OPCUA_CONNECTION_FIELDS,
  OPCUA_SECURE_POLICIES,
  OPCUA_SECURITY_MODES,
  parseOpcuaConnection,
  type OpcuaConnectionConfig,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
} from './connection-config.js';
export { opcua } from './driver.js';
export { routeOpcuaLogs } from './opcua-logs.js';
export { OpcuaLink, type OpcuaLinkOptions, type OpcuaLinkStats, type OpcuaSample } from './link.js';
export { numericValue, qualityOfStatus, sampleToReading, type SampleOutcome, type TimestampOrigin } from './readings.js';
