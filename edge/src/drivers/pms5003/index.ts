export { PMS5003_DEFAULTS, parsePms5003Config, type Pms5003Config } from './config.js';
export { PMS5003_HOST_COMMANDS, pms5003 } from './driver.js';
export { Pms5003Parser, type Pms5003Frame, type Pms5003ParserStats } from './frame.js';
export { frameToReadings, PMS5003_COUNT_METRICS } from './readings.js';
