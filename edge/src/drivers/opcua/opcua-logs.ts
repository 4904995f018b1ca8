import { format } from 'node:util';
import type { DriverLogger } from '../../driver.js';

/**
 * node-opcua prints its warnings and errors straight to the console (a notice about RSA PKCS#1 v1.5 on Node 20 at
 * every load, "Creating default certificate ... please wait", one line per failed connection attempt): noise on a
 * technician's terminal and in `ioc up`, beside our own structured lines about the same events. Its loggers are
 * process-wide (node-opcua-debug), so they are routed once, to the first logger given: the application's when it
 * calls this before any OPC-UA starts (`ioc up`), else the first OPC-UA input's. Warnings go to debug (what they say
 * is in our own logs: connection failures, certificates), errors to warn.
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
