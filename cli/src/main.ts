import { brokerCommand, brokerHelp } from './broker-command.js';
import { edgeCommand, edgeHelp } from './edge.js';
import { provisionCommand, provisionHelp } from './provision.js';
import { upCommand, upHelp } from './up.js';
import { simCommand, simHelp } from './sim-command.js';
import { VERSION } from './stack.js';

type Command = { summary: string; help: string; run: (argv: string[], out: (s: string) => void) => Promise<number> };

/** Subcommands exist here only once they work end to end. */
const commands: Record<string, Command> = {
  up: { summary: 'bring up the whole system on a simulated site', help: upHelp, run: upCommand },
  provision: { summary: 'provision a gateway and print its credentials and edge config', help: provisionHelp, run: provisionCommand },
  edge: { summary: "run or check a gateway's edge agent", help: edgeHelp, run: edgeCommand },
  broker: { summary: 'run the MQTT broker alone (one node of a cluster with --redis)', help: brokerHelp, run: brokerCommand },
  sim: { summary: 'simulate a province (scenarios), publish its history, or generate load', help: simHelp, run: simCommand },
};

const usage = (): string =>
  [
    `ioc ${VERSION} — IOC Telemetry: field sensors to the Intelligent Operation Center`,
    '',
    'Usage: ioc <command> [options]   (ioc <command> --help for details)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
  ].join('\n');

/** Runs the CLI; resolves to the process exit code. */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => void process.stdout.write(s),
  err: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    out(`${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    err(`ioc: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'IOC_ERR_USAGE') {
      err(`ioc ${name}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    if (typeof e.code === 'string' && e.code.startsWith('IOC_ERR_')) {
      err(`ioc ${name}: ${e.message} [${e.code}]\n`);
      return 1;
    }
    throw error;
  }
}
