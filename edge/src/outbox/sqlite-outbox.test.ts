import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledEdgeFile } from '../testing/compiled.js';
import { readingBytes } from './outbox.js';
import { outboxContract, reading } from './outbox.contract.js';
import { SqliteOutbox, type OutboxSync } from './sqlite-outbox.js';

const root = mkdtempSync(path.join(tmpdir(), 'ioc-outbox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => path.join(root, `box-${n++}`, 'outbox.db');
const open = (file: string, more: Partial<ConstructorParameters<typeof SqliteOutbox>[0]> = {}): SqliteOutbox =>
  new SqliteOutbox({ file, sync: 'full', maxReadings: 1_000_000, maxBytes: 1 << 30, ...more });

outboxContract('SqliteOutbox', (limits) => open(freshFile(), limits));

describe('SqliteOutbox on disk', () => {
  it('keeps pending readings, the drop count and the seq across a reopen', () => {
    const file = freshFile();
    const box = open(file, { maxReadings: 5 });
    box.append([1, 2, 3, 4, 5, 6, 7].map(reading));
    const sent = box.read(0, 2);
    box.remove(sent.first, sent.next);
    expect([box.nextSeq(), box.nextSeq()]).toEqual([1, 2]);
    box.close();

    const again = open(file, { maxReadings: 5 });
    expect(again.read(0, 10).readings).toEqual([5, 6, 7].map(reading));
    expect(again.stats()).toEqual({ pending: 3, dropped: 2, bytes: 3 * readingBytes(reading(0)) });
    expect(again.nextSeq()).toBe(3);
    again.append([reading(8)]);
    expect(again.read(again.end() - 1, 1).readings).toEqual([reading(8)]);
    again.close();
  });

  it('refuses a second opener of the same file while the first holds it', () => {
    const file = freshFile();
    const box = open(file);
    box.append([reading(1)]);
    expect(() => open(file)).toThrow(expect.objectContaining({ code: 'IOC_ERR_OUTBOX_LOCKED' }) as Error);
    box.close();
    const after = open(file);
    expect(after.stats().pending).toBe(1);
    after.close();
  });

  it('moves a damaged file aside and starts empty, telling whoever listens', () => {
    const file = freshFile();
    open(file).close();
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const moved: string[] = [];
    const box = open(file, { onCorrupt: (to) => moved.push(to) });
    expect(box.stats()).toEqual({ pending: 0, bytes: 0, dropped: 0 });
    box.close();
    expect(moved).toHaveLength(1);
    expect(readdirSync(path.dirname(file)).some((f) => f.startsWith('outbox.db.corrupt-'))).toBe(true);
  });

  it('keeps its file near maxBytes however much passes through', () => {
    const file = freshFile();
    const maxBytes = 1_000_000;
    const box = open(file, { maxBytes, sync: 'normal' });
    for (let round = 0; round < 40; round++) {
      box.append(Array.from({ length: 1000 }, (_, i) => ({ ...reading(round * 1000 + i), value: Math.random() * 1000 })));
      const s = box.read(0, 300);
      box.remove(s.first, s.next);
    }
    const { bytes, dropped, pending } = box.stats();
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    expect(dropped + pending + 40 * 300).toBe(40_000);
    box.close(); // checkpoints the WAL into the database file
    expect(statSync(file).size).toBeLessThan(maxBytes * 1.25);
  });
});

/**
 * A real SIGKILL of a process appending as fast as it can: every append the child reported complete (it writes the
 * last value to a pipe after append returns) must be in the file afterwards, in order, with no gap and no duplicate.
 */
describe.each<OutboxSync>(['full', 'normal'])('SqliteOutbox killed with SIGKILL mid-stream (sync %s)', (sync) => {
  it('loses no appended reading', async () => {
    const file = freshFile();
    const child = spawn(process.execPath, [compiledEdgeFile('testing/outbox-writer.ts'), file, sync], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lastReported = -1;
    let tail = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (tail + chunk.toString()).split('\n');
        tail = lines.pop() ?? '';
        const last = lines[lines.length - 1];
        if (last !== undefined) lastReported = Number(last);
        if (lastReported >= 9 * 1500) resolve();
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const box = open(file);
    const values: number[] = [];
    for (let from = 0; ; ) {
      const s = box.read(from, 5000);
      if (s.readings.length === 0) break;
      for (const r of s.readings) values.push(r.value);
      from = s.next;
    }
    box.close();
    expect(values.length).toBeGreaterThan(lastReported);
    expect(values.every((v, i) => v === i)).toBe(true); // 0, 1, 2, … : in order, no gap, no duplicate
    expect(values.length % 9).toBe(0); // an append is all or nothing
  });
});
