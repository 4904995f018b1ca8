import { describe, expect, it } from 'vitest';
import { LogLimiter } from './log-limiter.js';

describe('LogLimiter', () => {
  it('lets perWindow lines per key through per window and reports how many it held back', () => {
    let t = 0;
    const limiter = new LogLimiter(2, 1000, () => t);
    expect([1, 2, 3, 4].map(() => limiter.admit('IOC_ERR_PAYLOAD_JSON'))).toEqual([0, 0, undefined, undefined]);
    expect(limiter.admit('IOC_ERR_TOPIC')).toBe(0); // keys are independent
    t = 1000;
    expect(limiter.admit('IOC_ERR_PAYLOAD_JSON')).toBe(2);
    expect(limiter.admit('IOC_ERR_PAYLOAD_JSON')).toBe(0);
  });
});
