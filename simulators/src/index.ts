export { openPtyPair, PTY_ERRORS, type PtyPair, type PtyPairOptions } from './serial/pty-pair.js';
export { openTtyPort, type TtyPort } from './serial/tty-port.js';
export * from './devices/pms5003/index.js';
export * from './devices/sds011/index.js';
export * from './devices/modbus/index.js';
export * from './devices/opcua-station/index.js';
export * from './devices/cameras/index.js';
export * from './scenario/index.js';
export * from './load/index.js';
