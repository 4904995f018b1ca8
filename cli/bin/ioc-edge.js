#!/usr/bin/env -S node --max-semi-space-size=1 --lite-mode --no-expose-wasm
// `ioc-edge …` is `ioc edge …` with V8 set for a gateway's small memory (edge/README.md, "Memory"):
//   --max-semi-space-size=1  young generation of 3 × 1 MiB instead of up to 3 × 16 MiB: the agent allocates little
//                            per reading, so the extra scavenges cost nothing it can measure;
//   --lite-mode              no optimizing compiler and lazily allocated feedback: ~18 MB less, and the outbox
//                            replay still runs far beyond its target (bench edge-outbox);
//   --no-expose-wasm         lite mode has no WebAssembly; said explicitly so that V8 does not warn at every start.
// systemd units and scripts that start node themselves pass the same flags (edge/ioc-edge.service).
import { main } from '../dist/main.js';

main(['edge', ...process.argv.slice(2)]).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
