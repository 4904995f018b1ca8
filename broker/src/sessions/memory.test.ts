import { afterEach, describe } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { silentLog, tableVerifier } from '../test-support/helpers.js';
import { contractAccounts, sessionContract } from './session-contract.js';

const started: RunningBroker[] = [];
afterEach(() => Promise.all(started.splice(0).map((b) => b.close())));

describe('memory session store (one node)', () => {
  sessionContract(async (limits) => {
    const b = await startBroker({ port: 0, log: silentLog, credentials: tableVerifier(contractAccounts), limits, shutdownGraceMs: 0 });
    started.push(b);
    return [b];
  });
});
