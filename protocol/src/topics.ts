/**
 * Ids and MQTT topics of protocol v1: `ioc/v1/{site}/{gateway}/{kind}`.
 *
 * Builders throw rather than ever produce a topic that parseTopic would reject; parseTopic accepts exactly
 * the topics the builders produce, nothing else (no wildcards, no empty levels, no extra levels).
 */
import { ErrorCode, IocError, fail, ok, type ProtocolError, type Result } from './errors.js';

/**
 * Rule for every id on the wire (site, gateway, sensor, command name) and for metric names:
 * 1–64 characters of lowercase ASCII letters, digits, `_` and `-`, starting with a letter or digit.
 * Such ids are safe as MQTT topic levels, InfluxDB tag values, file names and URL path segments.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** True when `s` is a string matching ID_PATTERN. */
export function isValidId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

/** Kind of a v1 topic: the levels after `{site}/{gateway}/`. */
export type TopicKind = 'telemetry' | 'state' | 'config' | 'config/ack' | 'cmd';

/** A topic parsed by parseTopic. */
export interface ParsedTopic {
  /** Site id (ID_PATTERN). */
  site: string;
  /** Gateway id (ID_PATTERN), unique within its site. */
  gateway: string;
  /** Which message flows on this topic. */
  kind: TopicKind;
  /** Command name (ID_PATTERN); present only when kind is `cmd`. */
  cmd?: string;
}

/** First two levels of every v1 topic, with the trailing slash. */
export const TOPIC_PREFIX = 'ioc/v1/';

/** Longest valid topic, in characters: `ioc/v1/` + 64 + `/` + 64 + `/cmd/` + 64. */
const MAX_TOPIC_LENGTH = TOPIC_PREFIX.length + 64 + 1 + 64 + '/cmd/'.length + 64;

/** The topic of each message kind for one gateway. Every function throws IocError IOC_ERR_TOPIC on an invalid id. */
export const topics = Object.freeze({
  /** Gateway → cloud, QoS 1, not retained: TelemetryBatch payloads. */
  telemetry: (site: string, gateway: string): string => base(site, gateway) + 'telemetry',
  /** Gateway → cloud, QoS 1, retained: StateMessage birth `{online:true,…}` and last will `{online:false}`. */
  state: (site: string, gateway: string): string => base(site, gateway) + 'state',
  /** Cloud → gateway, QoS 1, retained: the gateway's configuration document. */
  config: (site: string, gateway: string): string => base(site, gateway) + 'config',
  /** Gateway → cloud, QoS 1, not retained: ConfigAck after applying (or refusing) a config. */
  configAck: (site: string, gateway: string): string => base(site, gateway) + 'config/ack',
  /** Cloud → gateway, QoS 1, not retained: command `name` (ID_PATTERN). Reserved for later use. */
  cmd: (site: string, gateway: string, name: string): string =>
    base(site, gateway) + 'cmd/' + checkedId(name, 'cmd', 'command name'),
});

/** Subscription filters for the cloud side (all sites, all gateways), and for one gateway's commands. */
export const filters = Object.freeze({
  /** Every gateway's telemetry. */
  allTelemetry: 'ioc/v1/+/+/telemetry',
  /** Every gateway's retained state (birth and last will). */
  allState: 'ioc/v1/+/+/state',
  /** Every gateway's config acknowledgements. */
  allConfigAck: 'ioc/v1/+/+/config/ack',
  /** All commands to one gateway; throws IocError IOC_ERR_TOPIC on an invalid id. */
  gatewayCmd: (site: string, gateway: string): string => base(site, gateway) + 'cmd/+',
});

/** MQTT QoS of each message kind (all at-least-once; receivers must tolerate duplicates). */
export const QOS = Object.freeze({ telemetry: 1, state: 1, config: 1, configAck: 1, cmd: 1 } as const);

/** MQTT retain flag of each message kind (state and config are retained so late subscribers see the latest). */
export const RETAIN = Object.freeze({
  telemetry: false,
  state: true,
  config: true,
  configAck: false,
  cmd: false,
} as const);

/**
 * Parses a v1 topic. Accepts exactly `ioc/v1/{site}/{gateway}/(telemetry|state|config|config/ack|cmd/{name})`
 * with every id matching ID_PATTERN; anything else (wildcards, empty levels, other versions, extra levels,
 * uppercase, non-ASCII) fails with IOC_ERR_TOPIC and `path` naming the first bad segment.
 */
export function parseTopic(topic: string): Result<ParsedTopic> {
  if (typeof topic !== 'string' || topic.length === 0) return topicError('', 'topic must be a non-empty string');
  if (topic.length > MAX_TOPIC_LENGTH) return topicError('', `topic longer than ${MAX_TOPIC_LENGTH} characters`);
  const levels = topic.split('/');
  if (levels.length < 5) return topicError('', `${quote(topic)} is not ioc/v1/{site}/{gateway}/{kind}`);
  const [root, version, site, gateway, ...rest] = levels;
  if (root !== 'ioc') return topicError('prefix', `topic must start with "ioc/", got ${quote(topic)}`);
  if (version !== 'v1') return topicError('version', `protocol version must be "v1", got ${quote(version)}`);
  if (!isValidId(site)) return topicError('site', `${quote(site)} is not a valid site id`);
  if (!isValidId(gateway)) return topicError('gateway', `${quote(gateway)} is not a valid gateway id`);
  return parseKind(site, gateway, rest);
}

/** Maps the levels after `{site}/{gateway}` to a kind. */
function parseKind(site: string, gateway: string, rest: readonly string[]): Result<ParsedTopic> {
  const tail = rest.join('/');
  if (tail === 'telemetry' || tail === 'state' || tail === 'config' || tail === 'config/ack') {
    return ok({ site, gateway, kind: tail });
  }
  if (rest.length === 2 && rest[0] === 'cmd') {
    const cmd = rest[1];
    if (!isValidId(cmd)) return topicError('cmd', `${quote(cmd)} is not a valid command name`);
    return ok({ site, gateway, kind: 'cmd', cmd });
  }
  return topicError('kind', `${quote(tail)} is not one of telemetry, state, config, config/ack, cmd/{name}`);
}

/** `ioc/v1/{site}/{gateway}/`, after checking both ids. */
function base(site: string, gateway: string): string {
  return TOPIC_PREFIX + checkedId(site, 'site', 'site id') + '/' + checkedId(gateway, 'gateway', 'gateway id') + '/';
}

/** Returns `id` if valid; otherwise throws IocError IOC_ERR_TOPIC at `segment`. */
function checkedId(id: string, segment: string, what: string): string {
  if (isValidId(id)) return id;
  throw new IocError(idError(segment, `${quote(id)} is not a valid ${what}`));
}

function topicError(path: string, message: string): Result<never> {
  return fail(ErrorCode.IOC_ERR_TOPIC, path, withRule(path, message));
}

function idError(path: string, message: string): ProtocolError {
  return { code: ErrorCode.IOC_ERR_TOPIC, path, message: withRule(path, message) };
}

/** Prefixes the segment name and, for id segments, states the id rule. */
function withRule(path: string, message: string): string {
  const isId = path === 'site' || path === 'gateway' || path === 'cmd';
  const rule = isId ? ` (ids match ${ID_PATTERN.source})` : '';
  return `${path === '' ? 'topic' : path}: ${message}${rule}`;
}

/** JSON-quotes untrusted text for an error message, cut to 70 characters. */
function quote(text: unknown): string {
  const s = typeof text === 'string' ? text : String(text);
  return JSON.stringify(s.length > 70 ? s.slice(0, 70) + '…' : s);
}
