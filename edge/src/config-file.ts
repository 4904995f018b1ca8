import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, DEFAULT_DATA_DIR, parseAgentConfig, type AgentConfig, type DriverRegistry } from './config.js';
import { drivers as builtinDrivers } from './drivers/index.js';

/**
 * Parses a config file's text: `.json` as JSON, `.jsonc` as JSON with comments, anything else as YAML (which also
 * reads plain JSON). Syntax errors name the file, line and column.
 */
export function parseConfigText(text: string, file: string): unknown {
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text);
    if (ext === '.jsonc') return JSON.parse(stripJsonComments(text));
    return YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const kind = ext === '.json' || ext === '.jsonc' ? 'JSON' : 'YAML';
    throw new ConfigError('', `not valid ${kind}: ${(err as Error).message.split('\n')[0] ?? ''}`, file);
  }
}

/** Removes `//` and `/* *\/` comments outside strings, keeping line breaks (so JSON.parse positions still match). */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop - 1;
    } else {
      out += c;
    }
  }
  return out;
}

function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** Files a config names must be readable by the agent: checked by loadAgentConfig (and so by `ioc edge check`). */
async function checkFiles(config: AgentConfig): Promise<void> {
  for (const key of ['passwordFile', 'caFile', 'certFile', 'keyFile'] as const) {
    const file = config.mqtt[key];
    if (file === undefined) continue;
    try {
      await access(file, constants.R_OK);
    } catch (err) {
      throw new ConfigError(`mqtt.${key}`, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/** The agent's own file paths, relative ones taken from the config file's folder. */
function resolvePaths(config: AgentConfig, base: string): AgentConfig {
  const at = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(base, p));
  const mqtt = { ...config.mqtt };
  for (const key of ['passwordFile', 'caFile', 'certFile', 'keyFile'] as const) {
    const resolved = at(mqtt[key]);
    if (resolved !== undefined) mqtt[key] = resolved;
  }
  return Object.freeze({ ...config, dataDir: at(config.dataDir) ?? DEFAULT_DATA_DIR, mqtt: Object.freeze(mqtt) });
}

/**
 * Reads and validates a config file (YAML or JSON, see parseConfigText): every error names the file and the path in
 * the config. A config file without `dataDir` gets DEFAULT_DATA_DIR; relative paths of the agent's own fields
 * (dataDir, mqtt.*File) are taken from the config file's folder; the files it names must be readable.
 */
export async function loadAgentConfig(file: string, registry: DriverRegistry = builtinDrivers): Promise<AgentConfig> {
  const raw = parseConfigText(await readFile(file, 'utf8'), file);
  try {
    const config = resolvePaths(parseAgentConfig(raw, registry), path.dirname(path.resolve(file)));
    await checkFiles(config);
    return config;
  } catch (err) {
    const e = err as Partial<ConfigError>;
    if (e.code === 'IOC_ERR_CONFIG') throw new ConfigError(e.path ?? '', e.detail ?? e.message ?? '', file);
    throw err;
  }
}
