#!/usr/bin/env node
// The `ioc` command: a thin launcher for the compiled CLI (run `npm run build` first; `npm ci` does it).
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
