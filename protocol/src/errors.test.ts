import { describe, expect, it } from 'vitest';
import { ErrorCode, IocError, isErrorCode, parseTopic, throwProtocolError, unwrap, type ProtocolError } from './index.js';

describe('errors', () => {
  it('codes are stable strings equal to their keys', () => {
    expect(Object.values(ErrorCode).sort()).toEqual([
      'IOC_ERR_PAYLOAD_ENCODING',
      'IOC_ERR_PAYLOAD_JSON',
      'IOC_ERR_PAYLOAD_SCHEMA',
      'IOC_ERR_PAYLOAD_TOO_LARGE',
      'IOC_ERR_TOPIC',
      'IOC_ERR_UNKNOWN_METRIC',
    ]);
    for (const [key, code] of Object.entries(ErrorCode)) expect(key).toBe(code);
    expect(isErrorCode('IOC_ERR_TOPIC')).toBe(true);
    expect(isErrorCode('IOC_ERR_NOPE')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it('IocError carries code, path and message of the ProtocolError', () => {
    const error: ProtocolError = { code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/readings/3/ts', message: '/readings/3/ts: bad' };
    const cause = new SyntaxError('x');
    const err = new IocError(error, { cause });
    expect(err).toMatchObject({ name: 'IocError', code: 'IOC_ERR_PAYLOAD_SCHEMA', path: '/readings/3/ts', message: '/readings/3/ts: bad' });
    expect(err.cause).toBe(cause);
    expect(() => throwProtocolError(error)).toThrow(expect.objectContaining({ code: 'IOC_ERR_PAYLOAD_SCHEMA' }));
  });

  it('unwrap returns the value or throws the error', () => {
    expect(unwrap(parseTopic('ioc/v1/hue/gw/state'))).toEqual({ site: 'hue', gateway: 'gw', kind: 'state' });
    expect(() => unwrap(parseTopic('ioc/v1/hue/gw/#'))).toThrow(expect.objectContaining({ code: 'IOC_ERR_TOPIC', path: 'kind' }));
  });
});
