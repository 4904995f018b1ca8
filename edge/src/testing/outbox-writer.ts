// Test support: a process that appends to a SqliteOutbox as fast as it can, for the kill -9 test.
// Usage: node outbox-writer.js FILE full|normal
// After each append returns it writes the last value appended to stdout (synchronously: a pipe on Linux), so
// every value the parent has read was appended before the parent's SIGKILL.
import { writeSync } from 'node:fs';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';

const [file, sync] = process.argv.slice(2);
if (!file || (sync !== 'full' && sync !== 'normal')) {
  process.stderr.write('usage: outbox-writer FILE full|normal\n');
  process.exit(2);
}
const box = new SqliteOutbox({ file, sync, maxReadings: 10_000_000, maxBytes: 2 ** 40 });
let value = box.stats().pending;
for (;;) {
  const batch = Array.from({ length: 9 }, () => ({ sensor: 'pm-01', metric: 'pm25', ts: 1_764_064_800_000 + value * 1000, value: value++, quality: 'good' as const }));
  box.append(batch);
  writeSync(1, `${value - 1}\n`);
}
