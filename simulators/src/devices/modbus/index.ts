export { appendModbusCrc, hasValidModbusCrc, modbusCrc } from './crc.js';
export {
  encodeExceptionResponse,
  encodeReadResponse,
  encodeWriteSingleResponse,
  MODBUS_EXCEPTION,
  ModbusRequestReader,
  requestLength,
  type ModbusRequest,
} from './frame.js';
export { CO_UGM3_PER_PPM, gasAnalyserUnit, waterProbeUnit, weatherStationUnit } from './profiles.js';
export {
  encodeRaw,
  encodeRegisterDef,
  wordsOf,
  type ModbusRegisterDef,
  type ModbusRegisterValue,
  type ModbusValueType,
  type ModbusWordOrder,
} from './registers.js';
export {
  ModbusSlaveSimulator,
  type ModbusSlaveSimulatorOptions,
  type ModbusSlaveSimulatorStats,
  type ModbusUnitDef,
} from './simulator.js';
