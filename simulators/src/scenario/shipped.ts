import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** simulators/scenarios/: the same folder from src/scenario/ (tests) and from dist/scenario/ (the built CLI). */
export const SHIPPED_SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/**
 * A scenario argument as a file path: a path that exists is taken as is; a bare name (`ha-nam`) is a shipped
 * scenario (`simulators/scenarios/ha-nam.yaml`). Anything else is returned unchanged (loading it reports the error).
 */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(arg)) return arg;
  const shipped = join(SHIPPED_SCENARIOS_DIR, arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  return /^[a-z0-9_-]+(\.yaml)?$/.test(arg) && existsSync(shipped) ? shipped : arg;
}
