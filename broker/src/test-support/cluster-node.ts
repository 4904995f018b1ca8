import { startBroker } from '../broker.js';
import { silentLog, tableVerifier, type Account } from './helpers.js';

/**
 * A broker node in a process of its own, so a test can kill it (SIGKILL) like a crashed machine.
 * argv: redis URL, accounts as JSON. Sends `{ port }` to the parent over IPC once listening.
 */
const [redisUrl, accountsJson] = process.argv.slice(2);
const broker = await startBroker({
  port: 0,
  log: silentLog,
  redisUrl: redisUrl!,
  credentials: tableVerifier(JSON.parse(accountsJson!) as Record<string, Account>),
});
process.send?.({ port: broker.port, id: broker.id });
