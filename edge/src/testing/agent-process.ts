// Test support: the agent as `ioc edge run` composes it (config file → startAgent → until SIGTERM), in a process of
// its own so that a test can SIGKILL it mid-stream. One difference: its clock never gives two frames the same ms
// (a pty delivers frames faster than a 9600-baud sensor ever could), so that every reading has its own key.
// Usage: node agent-process.js CONFIG_FILE — prints "ready" once the agent runs.
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import { loadAgentConfig } from '../config-file.js';
import { startAgent } from '../agent.js';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: agent-process CONFIG_FILE\n');
  process.exit(2);
}
let last = 0;
const now = (): number => (last = Math.max(Date.now(), last + 1));
const log = pino({ level: process.env.IOC_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const config = await loadAgentConfig(file);
mkdirSync(config.dataDir ?? '.', { recursive: true });
process.chdir(config.dataDir ?? '.'); // as `ioc edge run` does
const agent = await startAgent(config, log, { now });
process.stdout.write('ready\n');
const stop = (): void => {
  void agent.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop).once('SIGINT', stop);
