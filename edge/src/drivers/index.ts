import type { DriverFactory } from '../driver.js';
import { pms5003 } from './pms5003/index.js';
import { sds011 } from './sds011/index.js';
import { modbusRtu } from './modbus-rtu/index.js';
import { opcua } from './opcua/index.js';
import { camera } from './camera/index.js';

export { CONFIG_ERROR, configError, type ConfigError } from './config-fields.js';
export type { Pms5003Config } from './pms5003/index.js';
export type { Sds011Config } from './sds011/index.js';
export type { ModbusRtuConfig } from './modbus-rtu/index.js';
export type { OpcuaConfig } from './opcua/index.js';
export type { CameraConfig } from './camera/index.js';

/**
 * Every input driver the agent knows, by the value of a config's `driver` field. Explicit on purpose: adding a
 * driver is a line here, not an import with side effects.
 */
export const drivers = { pms5003, sds011, 'modbus-rtu': modbusRtu, opcua, camera } satisfies Record<string, DriverFactory<unknown>>;

export type DriverName = keyof typeof drivers;
