export {
  BAUD_RATES,
  MODBUS_RTU_DEFAULTS,
  parseModbusRtuConfig,
  type ModbusDeviceConfig,
  type ModbusRegisterConfig,
  type ModbusRtuConfig,
} from './config.js';
export { crc16Modbus, crcValid, withCrc } from './crc.js';
export { modbusRtu } from './driver.js';
export { exceptionName, MODBUS_ERRORS, type ModbusError, type ModbusErrorCode } from './errors.js';
export { encodeReadRequest, matchResponse, MAX_READ_REGISTERS, responseLength, type ReadFunction, type ReadRequest, type ResponseMatch } from './frame.js';
export { ModbusRtuMaster, type ModbusLineTiming, type ModbusMasterStats, type ModbusTransport } from './master.js';
export { planReads, type PlannedField, type ReadBlock } from './plan.js';
export { ModbusPoller, type PollerOptions } from './poller.js';
export { decodeRegisters, REGISTER_TYPES, registerCount, toEngineering, type RegisterType, type WordOrder } from './registers.js';
