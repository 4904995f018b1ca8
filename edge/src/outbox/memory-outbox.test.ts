import { expect, it } from 'vitest';
import { MemoryOutbox } from './memory-outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract('MemoryOutbox', (limits) => new MemoryOutbox(limits));

it('refuses a capacity below one', () => {
  expect(() => new MemoryOutbox({ maxReadings: 0 })).toThrow(RangeError);
  expect(() => new MemoryOutbox({ maxBytes: 0.5 })).toThrow(RangeError);
});
