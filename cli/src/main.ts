import { VERSION } from './version.js';

type Run = (argv: string[], out: (s: string) => void) => Promise<number>;
/**
 * A subcommand's module is imported only when it runs: `ioc edge run` on a gateway never loads the cloud, the
 * broker or the simulators (memory and start-up time on small field hardware).
 */
type Command = { summary: string; load: () => Promise<{ help: string; run: Run }> };

/** Subcommands exist here only once they work end to end. */
const commands: Record<string, Command> = {
  up: { summary: 'bring up the whole system on a simulated site', load: async () => { const m = await import('./up.js'); return { help: m.upHelp, run: m.upCommand }; } },
  provision: { summary: 'provision sites, gateways, sensors and cameras; bulk import', load: async () => { const m = await import('./provision.js'); return { help: m.provisionHelp, run: m.provisionCommand }; } },
  edge: { summary: "run, check or probe a gateway's edge agent", load: async () => { const m = await import('./edge.js'); return { help: m.edgeHelp, run: m.edgeCommand }; } },
  broker: { summary: 'run the MQTT broker alone (one node of a cluster with --redis)', load: async () => { const m = await import('./broker-command.js'); return { help: m.brokerHelp, run: m.brokerCommand }; } },
  sim: { summary: 'simulate a province (scenarios), publish its history, or generate load', load: async () => { const m = await import('./sim-command.js'); return { help: m.simHelp, run: m.simCommand }; } },
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
  const loaded = await command.load();
  try {
    return await loaded.run(rest, out);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'IOC_ERR_USAGE') {
      err(`ioc ${name}: ${e.message}\n\n${loaded.help}`);
      return 2;
    }
    if (typeof e.code === 'string' && e.code.startsWith('IOC_ERR_')) {
      err(`ioc ${name}: ${e.message} [${e.code}]\n`);
      return 1;
    }
    throw error;
  }
}
