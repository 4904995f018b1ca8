import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterStoreContract } from './dead-letter-store.contract.js';
import { openSqliteDeadLetterStore } from './sqlite-dead-letter-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ioc-deadletters-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

deadLetterStoreContract('SQLite file', (opts) =>
  Promise.resolve(openSqliteDeadLetterStore({ path: path.join(dir, `dl-${++files}.db`), ...opts })),
);

describe('SQLite dead-letter store', () => {
  it('keeps letters and the pruned count across a reopen of its file', async () => {
    const file = path.join(dir, 'reopen.db');
    const first = openSqliteDeadLetterStore({ path: file, maxCount: 2, pruneEvery: 1 });
    for (let i = 0; i < 3; i++) {
      await first.add({ topic: 't', payload: Buffer.from([i]), code: 'IOC_ERR_PAYLOAD_JSON', path: '', message: `#${i}`, at: Date.now() });
    }
    await first.close();
    const again = openSqliteDeadLetterStore({ path: file, maxCount: 2 });
    expect((await again.list()).letters.map((l) => l.message)).toEqual(['#2', '#1']);
    expect((await again.stats()).pruned).toBe(1);
    await again.close();
  });

  it('refuses invalid bounds at once', () => {
    expect(() => openSqliteDeadLetterStore({ path: ':memory:', maxCount: 0 })).toThrow(/maxCount/);
    expect(() => openSqliteDeadLetterStore({ path: ':memory:', maxPayloadBytes: 1.5 })).toThrow(/maxPayloadBytes/);
  });
});
