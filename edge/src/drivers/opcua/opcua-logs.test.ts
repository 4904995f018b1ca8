import { make_errorLog, make_warningLog } from 'node-opcua-debug';
import { describe, expect, it } from 'vitest';
import type { DriverLogger } from '../../driver.js';
import { routeOpcuaLogs } from './opcua-logs.js';

describe("node-opcua's console output", () => {
  it('goes to the first logger given: warnings at debug, errors at warn, with the file and line that logged them', async () => {
    const lines: { level: string; fields: unknown; msg: string | undefined }[] = [];
    const capture =
      (level: string) =>
      (fields: unknown, msg?: string): void =>
        void lines.push({ level, fields, msg });
    const first: DriverLogger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
    const refuse = (): void => expect.fail('a second logger got a line');
    await routeOpcuaLogs(first);
    await routeOpcuaLogs({ debug: refuse, info: refuse, warn: refuse, error: refuse });
    make_warningLog('W99')('certificate', 'created in', 3, 's');
    make_errorLog('E99')(new Error('BadTimeout'));
    const where: unknown = expect.stringMatching(/^opcua-logs\.test:\d+$/);
    const failure: unknown = expect.stringContaining('Error: BadTimeout');
    expect(lines).toEqual([
      { level: 'debug', fields: { source: 'node-opcua', context: where }, msg: 'certificate created in 3 s' },
      { level: 'warn', fields: { source: 'node-opcua', context: where }, msg: failure },
    ]);
  });
});
