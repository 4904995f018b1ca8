import { describe, expect, it } from 'vitest';
import {
  decodeConfigAck,
  decodeState,
  encodeConfigAck,
  encodeState,
  type ConfigAck,
  type ProtocolError,
  type Result,
  type StateMessage,
} from './index.js';

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function failure<T>(result: Result<T>): ProtocolError {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

const BIRTH: StateMessage = {
  online: true,
  ts: 1764064800000,
  agent: { name: 'ioc-edge', version: '0.1.0' },
  inputs: [
    { id: 'dust', driver: 'pms5003', sensors: ['pm-01'] },
    { id: 'cam', driver: 'camera' },
  ],
  outbox: { pending: 12, dropped: 0 },
};

describe('StateMessage', () => {
  it('round-trips the birth message and the last will', () => {
    expect(value(decodeState(encodeState(BIRTH)))).toEqual(BIRTH);
    expect(encodeState({ online: false }).toString('utf8')).toBe('{"online":false}');
    expect(value(decodeState('{"online":false}'))).toEqual({ online: false });
  });

  it('ignores and strips extra fields at every level', () => {
    const payload = JSON.stringify({
      ...BIRTH,
      uptimeSec: 5,
      agent: { ...BIRTH.agent, node: '20' },
      inputs: [{ id: 'dust', driver: 'pms5003', sensors: ['pm-01'], port: '/dev/ttyS0' }],
      outbox: { pending: 1, bytes: 99 },
    });
    expect(value(decodeState(payload))).toEqual({
      online: true,
      ts: 1764064800000,
      agent: { name: 'ioc-edge', version: '0.1.0' },
      inputs: [{ id: 'dust', driver: 'pms5003', sensors: ['pm-01'] }],
      outbox: { pending: 1 },
    });
  });

  const refused: Array<[string, string, string, string]> = [
    ['empty (a cleared retained message)', '', 'IOC_ERR_PAYLOAD_JSON', ''],
    ['not an object', 'true', 'IOC_ERR_PAYLOAD_SCHEMA', ''],
    ['missing online', '{"ts":1764064800000}', 'IOC_ERR_PAYLOAD_SCHEMA', '/online'],
    ['online as a string', '{"online":"true"}', 'IOC_ERR_PAYLOAD_SCHEMA', '/online'],
    ['ts in seconds', '{"online":true,"ts":1764064800}', 'IOC_ERR_PAYLOAD_SCHEMA', '/ts'],
    ['agent without version', '{"online":true,"agent":{"name":"x"}}', 'IOC_ERR_PAYLOAD_SCHEMA', '/agent/version'],
    ['input without driver', '{"online":true,"inputs":[{"id":"a"}]}', 'IOC_ERR_PAYLOAD_SCHEMA', '/inputs/0/driver'],
    ['sensor list of numbers', '{"online":true,"inputs":[{"id":"a","driver":"d","sensors":[1]}]}', 'IOC_ERR_PAYLOAD_SCHEMA', '/inputs/0/sensors/0'],
    ['negative pending', '{"online":true,"outbox":{"pending":-1}}', 'IOC_ERR_PAYLOAD_SCHEMA', '/outbox/pending'],
  ];

  it.each(refused)('refuses %s', (_what, payload, code, path) => {
    expect(failure(decodeState(payload))).toMatchObject({ code, path });
  });

  it('encodeState throws rather than publish what decodeState refuses', () => {
    const bad = { online: true, ts: 1.5 } as StateMessage;
    expect(() => encodeState(bad)).toThrow(expect.objectContaining({ code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/ts' }));
  });
});

describe('ConfigAck', () => {
  it('round-trips numeric and string versions', () => {
    const acks: ConfigAck[] = [
      { version: 7, ok: true },
      { version: '2025-11-25.1', ok: false, error: 'inputs[0].port: must be a string' },
    ];
    for (const ack of acks) expect(value(decodeConfigAck(encodeConfigAck(ack)))).toEqual(ack);
  });

  it('refuses a version that is neither a non-negative integer nor a non-empty string', () => {
    for (const version of ['1.5', '-1', '""', 'null']) {
      const error = failure(decodeConfigAck(`{"version":${version},"ok":true}`));
      expect(error).toMatchObject({ code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/version' });
    }
    expect(failure(decodeConfigAck('{"version":1}'))).toMatchObject({ path: '/ok' });
  });
});
