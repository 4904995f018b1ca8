import type { Buffer } from 'node:buffer';
import type { Logger } from 'pino';
import { MAX_PAYLOAD_BYTES, type ConfigAck } from '@ioc/protocol';
import { ConfigError, parseAgentConfig, type AgentConfig, type DriverRegistry } from '../config.js';
import type { LastGoodConfig } from './last-good.js';

/** A config's version as the cloud numbers it: an integer ≥ 0 or a non-empty string (copied into the ack). */
export type ConfigVersion = number | string;

/** What an ack carries when the message had no readable version. */
export const UNKNOWN_VERSION = 'unknown';

const FIELDS = ['version', 'inputs', 'uplink'];

function isVersion(v: unknown): v is ConfigVersion {
  return (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && v.length > 0);
}

/** The version of a message body, if it has a valid one (even when the rest is wrong, the ack names it). */
export function versionOf(body: unknown): ConfigVersion | undefined {
  const v = typeof body === 'object' && body !== null ? (body as { version?: unknown }).version : undefined;
  return isVersion(v) ? v : undefined;
}

/** A `config` payload as a JSON object; throws ConfigError for anything else. */
export function decodeConfigPayload(payload: Buffer): unknown {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new ConfigError('', `larger than ${MAX_PAYLOAD_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    throw new ConfigError('', `not a UTF-8 JSON document: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError('', 'must be a JSON object {version, inputs, uplink?}');
  return body;
}

/**
 * The agent config a remote config asks for: the local file's config with its `inputs` replaced and its `uplink`
 * settings overridden. The broker address, credentials, data dir and outbox stay those of the local file (a bad
 * push must never cut the gateway off). Throws ConfigError naming the path, e.g. `inputs[2].registers[0].scale`.
 */
export function parseRemoteConfig(body: unknown, local: AgentConfig, registry: DriverRegistry): { version: ConfigVersion; config: AgentConfig } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError('', 'must be a JSON object {version, inputs, uplink?}');
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw new ConfigError(unknown, `unknown field (allowed: ${FIELDS.join(', ')})`);
  if (!isVersion(raw.version)) throw new ConfigError('version', 'is required: an integer ≥ 0 or a non-empty string');
  if (raw.inputs === undefined) throw new ConfigError('inputs', 'is required');
  const uplink = raw.uplink ?? {};
  if (typeof uplink !== 'object' || uplink === null || Array.isArray(uplink)) throw new ConfigError('uplink', 'must be an object');
  const config = parseAgentConfig({ ...local, inputs: raw.inputs, uplink: { ...local.uplink, ...uplink } }, registry);
  return { version: raw.version, config };
}

export interface RemoteConfigOptions {
  /** The config file's config: the base every remote config is applied onto. */
  local: AgentConfig;
  registry: DriverRegistry;
  /** Where the last good config is kept (none without a data dir). */
  store?: LastGoodConfig;
  /** The version in force at start (from the store), if any. */
  version?: ConfigVersion;
  log: Logger;
  /** Applies a validated config; throws after having put the previous one back. */
  apply(config: AgentConfig): Promise<void>;
  ack(ack: ConfigAck): Promise<boolean>;
}

/**
 * Handles the messages of the retained `config` topic, one at a time in arrival order: validate, apply, save as the
 * last good config, ack `{version, ok: true}`; or refuse with `{version, ok: false, error}` leaving the previous config
 * in force. A version already applied (or already refused) is acked again without being applied again: the broker
 * re-sends the retained config at every reconnect.
 */
export class RemoteConfig {
  #version: ConfigVersion | undefined;
  #refusedVersion: { version: ConfigVersion; error: string } | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  applied = 0;
  refused = 0;

  constructor(private readonly opts: RemoteConfigOptions) {
    this.#version = opts.version;
  }

  /** The version in force, if a remote config was ever applied. */
  get version(): ConfigVersion | undefined {
    return this.#version;
  }

  /** Queues one payload of the config topic (ignored after close()). */
  handle(payload: Buffer): void {
    if (this.#closed) return;
    this.#queue = this.#queue.then(() => this.#handle(payload)).catch((err: unknown) => this.opts.log.error({ err }, 'remote config handling failed'));
  }

  /** Resolves once every queued payload has been handled. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Ignores payloads from now on and resolves once the one being handled is done. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#queue;
  }

  async #handle(payload: Buffer): Promise<void> {
    const { log } = this.opts;
    if (payload.length === 0) {
      log.info('the retained config was cleared; the current config stays in force');
      return;
    }
    let body: unknown;
    try {
      body = decodeConfigPayload(payload);
    } catch (err) {
      await this.#refuse(UNKNOWN_VERSION, (err as Error).message);
      return;
    }
    const version = versionOf(body);
    if (version !== undefined && version === this.#version) {
      await this.opts.ack({ version, ok: true });
      return;
    }
    if (version !== undefined && version === this.#refusedVersion?.version) {
      await this.opts.ack({ version, ok: false, error: this.#refusedVersion.error });
      return;
    }
    let next: AgentConfig;
    try {
      next = parseRemoteConfig(body, this.opts.local, this.opts.registry).config;
    } catch (err) {
      await this.#refuse(version ?? UNKNOWN_VERSION, (err as Error).message);
      return;
    }
    const v = version as ConfigVersion;
    try {
      await this.opts.apply(next);
    } catch (err) {
      await this.#refuse(v, `could not apply, previous config restored: ${(err as Error).message}`);
      return;
    }
    this.#version = v;
    this.#refusedVersion = undefined;
    this.applied += 1;
    const raw = body as Record<string, unknown>;
    try {
      this.opts.store?.save({ version: v, inputs: raw.inputs, ...(raw.uplink !== undefined ? { uplink: raw.uplink } : {}) });
    } catch (err) {
      log.error({ err, version: v }, 'config applied but not saved: a restart without network would use the previous one');
    }
    log.info({ version: v }, 'remote config applied');
    await this.opts.ack({ version: v, ok: true });
  }

  async #refuse(version: ConfigVersion, error: string): Promise<void> {
    this.refused += 1;
    if (version !== UNKNOWN_VERSION) this.#refusedVersion = { version, error };
    this.opts.log.warn({ version, error }, 'remote config refused; the current config stays in force');
    await this.opts.ack({ version, ok: false, error });
  }
}
