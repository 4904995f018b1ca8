import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: the CLI prints it with the command's help and exits 2. */
export class UsageError extends Error {
  readonly code = 'IOC_ERR_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs that turns unknown flags and missing values into UsageError. */
export function parse<O extends Options>(argv: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A port from a flag, else an environment variable, else the default; 0 means "pick a free port". */
export function port(flag: string | undefined, envName: string, fallback: number): number {
  const raw = flag ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag !== undefined ? 'port flag' : envName}: ${JSON.stringify(raw)} is not a port number (0–65535)`);
  }
  return n;
}
