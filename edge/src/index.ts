export { startAgent, AGENT_NAME, AGENT_VERSION, type AgentOptions, type AgentStats, type RunningAgent } from './agent.js';
export {
  parseAgentConfig,
  parseCalibration,
  ConfigError,
  AgentConfigSchema,
  DEFAULT_DATA_DIR,
  type AgentConfig,
  type Calibration,
  type DriverRegistry,
  type InputConfig,
} from './config.js';
export { loadAgentConfig, parseConfigText } from './config-file.js';
export { drivers } from './drivers/index.js';
export { routeOpcuaLogs } from './drivers/opcua/opcua-logs.js';
export type { Driver, DriverContext, DriverFactory, FrameError } from './driver.js';
export { READING_OVERHEAD_BYTES, readingBytes, type Outbox, type OutboxLimits, type OutboxSlice, type OutboxStats } from './outbox/outbox.js';
export { MemoryOutbox } from './outbox/memory-outbox.js';
export { SqliteOutbox, type OutboxSync, type SqliteOutboxOptions } from './outbox/sqlite-outbox.js';
export { measureClockSkew } from './uplink/clock.js';
export { runProbe, listSerialPorts, type ProbeEvent, type ProbeOptions, type SerialPortInfo } from './probe/probe.js';
export { startUplink, encodeBirth, type BirthBody, type Uplink, type UplinkOptions, type UplinkStats } from './uplink/mqtt-uplink.js';
