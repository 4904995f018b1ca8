import { writeFileSync } from 'node:fs';
import { parseAgentConfig } from '@ioc/edge';
import { Registry } from '@ioc/cloud';
import { parse, UsageError } from './args.js';
import { homeFiles, iocHome } from './home.js';

export const provisionHelp = `Usage: ioc provision gateway --site SITE --id GATEWAY [options]

Provisions a gateway: creates its site if needed, issues its MQTT secret (shown once, stored hashed)
and prints an edge config file for it.

Options:
  --site SITE        site id (a-z 0-9 _ -, up to 64)
  --id GATEWAY       gateway id, also its MQTT username and client id
  --mqtt-url URL     broker address the gateway will use (default mqtt://127.0.0.1:1883, or $IOC_MQTT_URL)
  --rotate           the gateway exists: issue a new secret (the old one stops working)
  --out FILE         also write the edge config to FILE (mode 0600)
  --json             print JSON: { site, gateway, mqtt: {url, username, clientId, password}, edgeConfig }
  --home DIR         $IOC_HOME (default ./.ioc)
`;

/** The edge config of a freshly provisioned gateway, with one sample input the technician adapts. */
export function edgeConfigFor(site: string, gateway: string, mqttUrl: string, password: string): Record<string, unknown> {
  return {
    gateway: { site, id: gateway },
    mqtt: { url: mqttUrl, username: gateway, password, keepaliveSec: 30 },
    outbox: { maxReadings: 1_000_000 },
    uplink: { maxBatchReadings: 500, lingerMs: 1000 },
    inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01', mode: 'active' }],
  };
}

export async function provisionCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === 'help') {
    out(provisionHelp);
    return what === undefined ? 2 : 0;
  }
  if (what !== 'gateway') throw new UsageError(`ioc provision ${what}: unknown; only "gateway" exists so far`);
  const { values } = parse(rest, {
    site: { type: 'string' },
    id: { type: 'string' },
    'mqtt-url': { type: 'string' },
    rotate: { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    home: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    out(provisionHelp);
    return 0;
  }
  if (!values.site) throw new UsageError('--site is required');
  if (!values.id) throw new UsageError('--id is required');
  const mqttUrl = values['mqtt-url'] ?? process.env.IOC_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const registry = Registry.open(homeFiles(iocHome(values.home)).registry);
  try {
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    registry.ensureSite(values.site, actor);
    const existing = registry.getGateway(values.id);
    if (existing && existing.site !== values.site) {
      throw new UsageError(`gateway ${values.id} belongs to site ${existing.site}, not ${values.site}`);
    }
    const { secret } = values.rotate ? await registry.rotateGatewaySecret(values.id, actor) : await registry.createGateway(values.site, values.id, actor);
    const edgeConfig = edgeConfigFor(values.site, values.id, mqttUrl, secret);
    parseAgentConfig(edgeConfig); // what we hand out must load on the gateway
    if (values.out) writeFileSync(values.out, `${JSON.stringify(edgeConfig, null, 2)}\n`, { mode: 0o600 });
    if (values.json) {
      out(`${JSON.stringify({ site: values.site, gateway: values.id, mqtt: { url: mqttUrl, username: values.id, clientId: values.id, password: secret }, edgeConfig }, null, 2)}\n`);
    } else {
      out(
        [
          `Gateway ${values.id} provisioned in site ${values.site}.`,
          `  MQTT url:      ${mqttUrl}`,
          `  username:      ${values.id}   (client id must be the same)`,
          `  password:      ${secret}`,
          '  The password is shown only this once; it is stored hashed. Use --rotate to issue a new one.',
          values.out ? `  Edge config written to ${values.out}` : '  Re-run with --out FILE to write the edge config, or --json to print it.',
          '',
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    registry.close();
  }
}
