import { once } from 'node:events';
import pino from 'pino';
import { loadAgentConfig, startAgent } from '@ioc/edge';
import { parse, UsageError } from './args.js';

export const edgeHelp = `Usage: ioc edge <run|check> --config FILE

  run     runs the edge agent of this gateway (drivers → outbox → MQTT)
  check   validates FILE and exits: 0 if it would load, 1 with the path of the first problem

Options:
  --config FILE   the gateway's edge config (JSON), e.g. from "ioc provision gateway --out FILE"
`;

export async function edgeCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, { config: { type: 'string' }, help: { type: 'boolean', default: false } });
  if (sub === undefined || sub === 'help' || sub === '--help' || values.help) {
    out(edgeHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'run' && sub !== 'check') throw new UsageError(`ioc edge ${sub}: unknown; use run or check`);
  if (!values.config) throw new UsageError('--config FILE is required');
  const config = await loadAgentConfig(values.config);
  if (sub === 'check') {
    out(`${values.config}: OK — gateway ${config.gateway.id} in site ${config.gateway.site}, ${config.inputs.length} input(s), broker ${config.mqtt.url}\n`);
    return 0;
  }
  const log = pino({ level: process.env.IOC_LOG_LEVEL ?? 'info', redact: ['password', '*.password'] });
  const agent = await startAgent(config, log);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await agent.stop();
  return 0;
}
