export {
  findFreePort,
  findFreePorts,
  INFLUXD_MISSING_MESSAGE,
  InfluxdErrorCode,
  startInfluxd,
  type InfluxdError,
  type InfluxdExit,
  type InfluxdLogger,
  type ManagedInfluxd,
  type StartInfluxdOptions,
} from './influxd.js';
