export { startAgent, AGENT_NAME, AGENT_VERSION, type RunningAgent, type AgentStats } from './agent.js';
export { parseAgentConfig, loadAgentConfig, ConfigError, AgentConfigSchema, type AgentConfig } from './config.js';
export { drivers } from './drivers/index.js';
export type { Driver, DriverContext, DriverFactory } from './driver.js';
export type { Outbox, OutboxStats } from './outbox/outbox.js';
export { MemoryOutbox } from './outbox/memory-outbox.js';
