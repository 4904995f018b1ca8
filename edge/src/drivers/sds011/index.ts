export { encodeSds011Command, SDS011_COMMAND, SDS011_HOST_COMMANDS, workingPeriodCommand } from './commands.js';
export { parseSds011Config, SDS011_DEFAULTS, type Sds011Config } from './config.js';
export { sds011 } from './driver.js';
export {
  SDS011_FRAME_BYTES,
  Sds011Parser,
  type Sds011Measurement,
  type Sds011Message,
  type Sds011ParserStats,
  type Sds011Reply,
} from './frame.js';
export { measurementToReadings } from './readings.js';
