import { format } from 'node:util';
import type { DriverLogger } from '../../driver.js';

/**
 * node-opcua prints its warnings and errors straight to the console (a notice about RSA PKCS#1 v1.5 on Node 20 at
 * every load, one line per refused connection): noise on a technician's terminal and in `ioc up`. The agent's OPC-UA
 * input no longer uses node-opcua (see ua/); the simulated stations of `ioc up` and `ioc sim run` still run node-opcua
 * servers in-process, so these commands route its loggers into their own log. The loggers are process-wide
 * (node-opcua-debug), so they are routed once, to the first logger given. Warnings go to debug, errors to warn.
 * node-opcua-debug is imported on the first call only: a process that never calls this never loads it.
 */
let target: DriverLogger | undefined;
let installing: Promise<void> | undefined;

export function routeOpcuaLogs(log: DriverLogger): Promise<void> {
  target ??= log;
  installing ??= import('node-opcua-debug').then((debug) => {
    const forward =
      (level: 'debug' | 'warn') =>
      (context?: unknown, ...args: unknown[]): void =>
        target?.[level]({ source: 'node-opcua', context: where(context) }, format(...args));
    debug.setWarningLogger(forward('debug'));
    debug.setTraceLogger(forward('debug'));
    debug.setDebugLogger(forward('debug'));
    debug.setErrorLogger(forward('warn'));
  });
  return installing;
}

/** node-opcua's context of a message: the file and line that logged it. */
function where(context: unknown): string {
  const { filename, callerline } = (context ?? {}) as { filename?: unknown; callerline?: unknown };
  return typeof filename === 'string' ? `${filename}:${String(callerline)}` : String(context);
}
