import { describe, expect, it } from 'vitest';
import { ID_PATTERN, QOS, RETAIN, filters, isValidId, parseTopic, topics, type ParsedTopic } from './index.js';

function parsed(topic: string): ParsedTopic {
  const result = parseTopic(topic);
  if (!result.ok) throw new Error(`expected ${topic} to parse: ${result.error.message}`);
  return result.value;
}

function thrown(fn: () => unknown): { code?: unknown; path?: unknown } {
  try {
    fn();
  } catch (err) {
    return err as { code?: unknown; path?: unknown };
  }
  throw new Error('expected a throw');
}

describe('topic builders and parseTopic', () => {
  it('builds the documented topics', () => {
    expect(topics.telemetry('hue', 'gw-01')).toBe('ioc/v1/hue/gw-01/telemetry');
    expect(topics.state('hue', 'gw-01')).toBe('ioc/v1/hue/gw-01/state');
    expect(topics.config('hue', 'gw-01')).toBe('ioc/v1/hue/gw-01/config');
    expect(topics.configAck('hue', 'gw-01')).toBe('ioc/v1/hue/gw-01/config/ack');
    expect(topics.cmd('hue', 'gw-01', 'reboot')).toBe('ioc/v1/hue/gw-01/cmd/reboot');
  });

  it('round-trips every kind', () => {
    const site = 'thua-thien_hue';
    const gateway = '0gw';
    expect(parsed(topics.telemetry(site, gateway))).toEqual({ site, gateway, kind: 'telemetry' });
    expect(parsed(topics.state(site, gateway))).toEqual({ site, gateway, kind: 'state' });
    expect(parsed(topics.config(site, gateway))).toEqual({ site, gateway, kind: 'config' });
    expect(parsed(topics.configAck(site, gateway))).toEqual({ site, gateway, kind: 'config/ack' });
    expect(parsed(topics.cmd(site, gateway, 'set_interval'))).toEqual({ site, gateway, kind: 'cmd', cmd: 'set_interval' });
  });

  it('accepts ids of exactly 1 and 64 characters', () => {
    const long = 'a'.repeat(64);
    expect(parsed(topics.cmd(long, long, long))).toEqual({ site: long, gateway: long, kind: 'cmd', cmd: long });
    expect(parsed('ioc/v1/a/b/state')).toEqual({ site: 'a', gateway: 'b', kind: 'state' });
  });

  const refused: Array<[string, string, string]> = [
    ['plus wildcard as site', 'ioc/v1/+/gw/telemetry', 'site'],
    ['plus wildcard as gateway', 'ioc/v1/hue/+/telemetry', 'gateway'],
    ['hash wildcard as kind', 'ioc/v1/hue/gw/#', 'kind'],
    ['hash inside an id', 'ioc/v1/hu#e/gw/telemetry', 'site'],
    ['slash smuggled into the gateway level', 'ioc/v1/hue/gw/x/telemetry', 'kind'],
    ['dot-dot as site', 'ioc/v1/../gw/telemetry', 'site'],
    ['dot-dot as gateway', 'ioc/v1/hue/../telemetry', 'gateway'],
    ['empty site', 'ioc/v1//gw/telemetry', 'site'],
    ['empty gateway', 'ioc/v1/hue//telemetry', 'gateway'],
    ['uppercase site', 'ioc/v1/A/gw/telemetry', 'site'],
    ['uppercase kind', 'ioc/v1/hue/gw/Telemetry', 'kind'],
    ['65-character gateway', `ioc/v1/hue/${'g'.repeat(65)}/telemetry`, 'gateway'],
    ['null byte in site', 'ioc/v1/hu\u0000e/gw/telemetry', 'site'],
    ['unicode site', 'ioc/v1/huế/gw/telemetry', 'site'],
    ['id starting with a dash', 'ioc/v1/-hue/gw/telemetry', 'site'],
    ['id starting with an underscore', 'ioc/v1/hue/_gw/telemetry', 'gateway'],
    ['other version', 'ioc/v2/hue/gw/telemetry', 'version'],
    ['uppercase prefix', 'IOC/v1/hue/gw/telemetry', 'prefix'],
    ['other prefix', 'iot/v1/hue/gw/telemetry', 'prefix'],
    ['leading slash', '/ioc/v1/hue/gw/telemetry', 'prefix'],
    ['trailing slash', 'ioc/v1/hue/gw/telemetry/', 'kind'],
    ['extra level', 'ioc/v1/hue/gw/state/extra', 'kind'],
    ['unknown kind', 'ioc/v1/hue/gw/events', 'kind'],
    ['ack without config', 'ioc/v1/hue/gw/ack', 'kind'],
    ['cmd without name', 'ioc/v1/hue/gw/cmd', 'kind'],
    ['cmd with empty name', 'ioc/v1/hue/gw/cmd/', 'cmd'],
    ['cmd with wildcard name', 'ioc/v1/hue/gw/cmd/+', 'cmd'],
    ['cmd with two names', 'ioc/v1/hue/gw/cmd/a/b', 'kind'],
    ['empty topic', '', ''],
    ['too few levels', 'ioc/v1/hue/gw', ''],
    ['absurdly long topic', `ioc/v1/hue/gw/cmd/${'x'.repeat(10_000)}`, ''],
  ];

  it.each(refused)('refuses %s with IOC_ERR_TOPIC at its segment', (_what, topic, path) => {
    const result = parseTopic(topic);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('IOC_ERR_TOPIC');
    expect(result.error.path).toBe(path);
    expect(result.error.message.startsWith(path === '' ? 'topic:' : `${path}:`)).toBe(true);
  });

  it('refuses the subscription filters themselves (they are not topics)', () => {
    for (const filter of [filters.allTelemetry, filters.allState, filters.allConfigAck, filters.gatewayCmd('hue', 'gw')]) {
      expect(parseTopic(filter).ok).toBe(false);
    }
  });

  const badIds: Array<[string, unknown]> = [
    ['plus', '+'],
    ['hash', '#'],
    ['slash', 'a/b'],
    ['dot-dot', '..'],
    ['empty', ''],
    ['uppercase', 'A'],
    ['65 characters', 'a'.repeat(65)],
    ['null byte', 'a\u0000'],
    ['trailing newline', 'abc\n'],
    ['unicode', 'trạm'],
    ['space', 'gw 1'],
    ['not a string', 42],
  ];

  it.each(badIds)('builders throw IOC_ERR_TOPIC for a %s id, naming the segment', (_what, id) => {
    const bad = id as string;
    expect(thrown(() => topics.telemetry(bad, 'gw'))).toMatchObject({ code: 'IOC_ERR_TOPIC', path: 'site' });
    expect(thrown(() => topics.state('hue', bad))).toMatchObject({ code: 'IOC_ERR_TOPIC', path: 'gateway' });
    expect(thrown(() => topics.config(bad, bad))).toMatchObject({ code: 'IOC_ERR_TOPIC', path: 'site' });
    expect(thrown(() => topics.configAck('hue', bad))).toMatchObject({ code: 'IOC_ERR_TOPIC', path: 'gateway' });
    expect(thrown(() => topics.cmd('hue', 'gw', bad))).toMatchObject({ code: 'IOC_ERR_TOPIC', path: 'cmd' });
    expect(isValidId(id)).toBe(false);
  });
});

describe('ids, filters and MQTT options', () => {
  it('isValidId follows ID_PATTERN', () => {
    expect(ID_PATTERN.source).toBe('^[a-z0-9][a-z0-9_-]{0,63}$');
    for (const id of ['a', '0', 'pm-01', 'gw_2', 'a'.repeat(64)]) expect(isValidId(id)).toBe(true);
    for (const id of [undefined, null, 1, {}, 'a'.repeat(65), 'Pm', 'a.b']) expect(isValidId(id)).toBe(false);
  });

  it('cloud filters cover every gateway', () => {
    expect(filters.allTelemetry).toBe('ioc/v1/+/+/telemetry');
    expect(filters.allState).toBe('ioc/v1/+/+/state');
    expect(filters.allConfigAck).toBe('ioc/v1/+/+/config/ack');
    expect(filters.gatewayCmd('hue', 'gw-01')).toBe('ioc/v1/hue/gw-01/cmd/+');
  });

  it('every kind is QoS 1; only state and config are retained', () => {
    expect(QOS).toEqual({ telemetry: 1, state: 1, config: 1, configAck: 1, cmd: 1 });
    expect(RETAIN).toEqual({ telemetry: false, state: true, config: true, configAck: false, cmd: false });
    expect(Object.isFrozen(topics) && Object.isFrozen(filters) && Object.isFrozen(QOS)).toBe(true);
  });
});
