import os from 'node:os';
import { benches } from './index.js';
import { renderTable } from './table.js';

/** `npm run bench [-- name …]`: runs the named benchmarks (all by default) and prints their tables. */
async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((n) => !benches.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const chosen = argv.length ? benches.filter((b) => argv.includes(b.name)) : benches;
  console.log(`# IOC Telemetry benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB\n`);
  for (const bench of chosen) {
    console.log(`## ${bench.name}: ${bench.description}\n`);
    for (const table of await bench.run()) console.log(renderTable(table));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error(err); process.exitCode = 1; },
);
