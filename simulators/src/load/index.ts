export { assertLoopback, connectGateway, LOAD_ERRORS, type GatewayClient, type GatewayCredentials } from './gateway-client.js';
export { LOAD_LIMITS, runLoad, type LoadOptions, type LoadProgress, type LoadSummary } from './generator.js';
export { LatencyHistogram } from './latency.js';
export { encodeTelemetryJson, telemetryTopic, type WireReading } from './telemetry-json.js';
