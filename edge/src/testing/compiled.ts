// Test support: child processes run the compiled agent (node cannot run the TypeScript sources itself).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const EDGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The compiled file of an edge source (`testing/agent-process.ts` → `edge/dist/testing/agent-process.js`). Throws
 * when it is missing or older than its source, so a test never runs yesterday's code: `npx tsc -b` first.
 */
export function compiledEdgeFile(source: string): string {
  const src = path.join(EDGE, 'src', source);
  const out = path.join(EDGE, 'dist', source.replace(/\.ts$/, '.js'));
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    throw new Error(`${out} is missing or older than ${src}: run "npx tsc -b" first`);
  }
  return out;
}
