import { expect, it } from 'vitest';
import { MemoryOutbox } from './memory-outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract('MemoryOutbox', (maxReadings) => new MemoryOutbox({ maxReadings }));

it('refuses a capacity below one', () => {
  expect(() => new MemoryOutbox({ maxReadings: 0 })).toThrow(RangeError);
});
