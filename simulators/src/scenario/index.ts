export { createScenarioClock, ManualClock, systemClock, type Clock, type ScenarioClock } from './clock.js';
export { deviceSeed, deviceStarters, type DeviceContext, type DeviceEndpoint, type DeviceStarter, type RunningDevice } from './devices.js';
export { formatDuration, parseDuration } from './duration.js';
export { SCENARIO_ERRORS, type ScenarioError } from './errors.js';
export { startFaultTimer, type FaultEvent, type FaultTimer } from './fault-timer.js';
export { openLineTap, type LineFaults, type LineTap, type LineTapOptions, type LineTapStats } from './line-tap.js';
export { loadScenarioFile, parseScenario, parseScenarioYaml } from './load.js';
export {
  DEVICE_KINDS,
  MODBUS_MAP_METRICS,
  MODBUS_MAPS,
  OPCUA_STATION_METRICS,
  PMS5003_COUNT_METRICS,
  SCENARIO_METRICS,
  type DeviceKind,
  type ModbusMapName,
} from './metrics.js';
export {
  runScenario,
  type RunningGateway,
  type RunningScenario,
  type RunScenarioOptions,
  type ScenarioEvent,
  type UnsupportedDevice,
} from './runner.js';
export { scenarioGateways, type Scenario, type ScenarioSensor } from './scenario.js';
export { compileSchedule, type ActiveFault, type Schedule, type ScheduledFault } from './schedule.js';
export { FAULT_KINDS, ScenarioSchema, type FaultKind, type FaultSpec, type ScenarioSpec, type SensorSpec, type SiteSpec, type GatewaySpec } from './schema.js';
export { startTcpRelay, type SeverMode, type TcpRelay, type TcpRelayOptions, type TcpRelayStats } from './tcp-relay.js';
export { createValueModel, type MetricValues, type ValueModel } from './values.js';
export { publishBackfill, ScenarioHistory, type BackfillOptions, type BackfillSummary, type BackfillWindow } from './backfill.js';
export { reportedMetrics, reportedValues } from './reported.js';
export { resolveScenarioPath, SHIPPED_SCENARIOS_DIR } from './shipped.js';
export { MODBUS_REGISTER_MAPS, type ScenarioRegister } from './modbus-maps.js';
