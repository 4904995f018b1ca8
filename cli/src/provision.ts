import { writeFileSync } from 'node:fs';
import { parseAgentConfig } from '@ioc/edge';
import { Registry } from '@ioc/cloud';
import { parse, UsageError } from './args.js';
import { edgeConfigFor } from './edge-config.js';
import { homeFiles, iocHome } from './home.js';
import { runImport } from './provision-import.js';

export const provisionHelp = `Usage: ioc provision <site|gateway|sensor|camera|import> [options]

  site     --id SITE [--name-vi T] [--name-en T] [--district T] [--lat N] [--lon N]
  gateway  --site SITE --id GATEWAY [--name T] [--rotate] [--out FILE] [--json] [--mqtt-url URL]
           issues the gateway's MQTT secret (shown once, stored hashed) and prints an edge config
  sensor   --gateway GATEWAY --id SENSOR --driver DRIVER [--metrics pm25,pm10] [--gain N --offset N --metric M]
  camera   --site SITE --id CAMERA [--gateway G] [--probe rtsp|http|tcp|opcua] [--address HOST:PORT|URL] [--name T]
  import   FILE.csv [--dry-run] [--out DIR] [--json] [--mqtt-url URL]
           bulk import of a district's sites, gateways and sensors: all rows or none, idempotent;
           writes each new gateway's edge config (with its secret) into DIR (default ./edge-configs)
           columns: site, gateway (required); site_name_vi, site_name_en, district, lat, lon,
           gateway_name, sensor, driver, port, metrics (separated by ;), description

Common options:
  --home DIR       $IOC_HOME (default ./.ioc), where the registry lives
  --mqtt-url URL   broker address for gateways (default $IOC_MQTT_URL or mqtt://127.0.0.1:1883)
`;

const actor = (): string => `cli:${process.env.USER ?? 'unknown'}`;

function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag}: ${JSON.stringify(raw)} is not a number`);
  return n;
}

const COMMON = { home: { type: 'string' }, json: { type: 'boolean', default: false }, 'mqtt-url': { type: 'string' }, help: { type: 'boolean', default: false } } as const;

function withRegistry<T>(home: string | undefined, fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = Registry.open(homeFiles(iocHome(home)).registry);
  return fn(registry).finally(() => registry.close());
}

async function gateway(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse(argv, { ...COMMON, site: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, rotate: { type: 'boolean', default: false }, out: { type: 'string' } });
  if (!values.site) throw new UsageError('--site is required');
  if (!values.id) throw new UsageError('--id is required');
  const [site, id] = [values.site, values.id];
  const mqttUrl = values['mqtt-url'] ?? process.env.IOC_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  return withRegistry(values.home, async (registry) => {
    registry.ensureSite(site, actor());
    const existing = registry.getGateway(id);
    if (existing && existing.site !== site) throw new UsageError(`gateway ${id} belongs to site ${existing.site}, not ${site}`);
    const { secret } = values.rotate
      ? await registry.rotateGatewaySecret(id, actor())
      : await registry.createGateway(site, id, actor(), values.name ? { name: values.name } : {});
    const edgeConfig = edgeConfigFor(site, id, mqttUrl, secret);
    parseAgentConfig(edgeConfig); // what we hand out must load on the gateway
    if (values.out) writeFileSync(values.out, `${JSON.stringify(edgeConfig, null, 2)}\n`, { mode: 0o600 });
    if (values.json) {
      out(`${JSON.stringify({ site, gateway: id, mqtt: { url: mqttUrl, username: id, clientId: id, password: secret }, edgeConfig }, null, 2)}\n`);
      return 0;
    }
    out([
      `Gateway ${id} provisioned in site ${site}.`,
      `  MQTT url:      ${mqttUrl}`,
      `  username:      ${id}   (client id must be the same)`,
      `  password:      ${secret}`,
      '  The password is shown only this once; it is stored hashed. Use --rotate to issue a new one.',
      values.out ? `  Edge config written to ${values.out}` : '  Re-run with --out FILE to write the edge config, or --json to print it.',
      '',
    ].join('\n'));
    return 0;
  });
}

async function site(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse(argv, { ...COMMON, id: { type: 'string' }, 'name-vi': { type: 'string' }, 'name-en': { type: 'string' }, district: { type: 'string' }, lat: { type: 'string' }, lon: { type: 'string' } });
  if (!values.id) throw new UsageError('--id is required');
  const id = values.id;
  return withRegistry(values.home, async (registry) => {
    const lat = num('lat', values.lat);
    const lon = num('lon', values.lon);
    const r = registry.upsertSite({
      id,
      ...(values['name-vi'] !== undefined ? { nameVi: values['name-vi'] } : {}),
      ...(values['name-en'] !== undefined ? { nameEn: values['name-en'] } : {}),
      ...(values.district !== undefined ? { district: values.district } : {}),
      ...(lat !== undefined ? { lat } : {}),
      ...(lon !== undefined ? { lon } : {}),
    }, actor());
    out(values.json ? `${JSON.stringify(r, null, 2)}\n` : `site ${r.site.id}: ${r.outcome}\n`);
    return 0;
  });
}

async function sensor(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse(argv, { ...COMMON, gateway: { type: 'string' }, id: { type: 'string' }, driver: { type: 'string' }, metrics: { type: 'string' }, metric: { type: 'string' }, gain: { type: 'string' }, offset: { type: 'string' } });
  if (!values.gateway || !values.id || !values.driver) throw new UsageError('--gateway, --id and --driver are required');
  const [gw, id, driver] = [values.gateway, values.id, values.driver];
  const gain = num('gain', values.gain);
  const offset = num('offset', values.offset);
  if ((gain !== undefined || offset !== undefined) && !values.metric) throw new UsageError('--gain/--offset need --metric (the metric they calibrate)');
  return withRegistry(values.home, async (registry) => {
    const old = registry.getSensor(gw, id);
    const calibration = values.metric ? { ...(old?.calibration ?? {}), [values.metric]: { gain: gain ?? 1, offset: offset ?? 0 } } : undefined;
    const r = registry.upsertSensor({
      gateway: gw, id, driver,
      ...(values.metrics !== undefined ? { metrics: values.metrics.split(/[,;\s]+/).filter(Boolean) } : {}),
      ...(calibration ? { calibration } : {}),
    }, actor());
    out(values.json ? `${JSON.stringify(r, null, 2)}\n` : `sensor ${gw}/${id}: ${r.outcome}\n`);
    return 0;
  });
}

async function camera(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse(argv, { ...COMMON, site: { type: 'string' }, id: { type: 'string' }, gateway: { type: 'string' }, probe: { type: 'string' }, address: { type: 'string' }, name: { type: 'string' } });
  if (!values.site || !values.id) throw new UsageError('--site and --id are required');
  const probe = values.probe;
  if (probe !== undefined && !['rtsp', 'http', 'tcp', 'opcua'].includes(probe)) throw new UsageError(`--probe: ${JSON.stringify(probe)} is not one of rtsp, http, tcp, opcua`);
  const [siteId, id] = [values.site, values.id];
  return withRegistry(values.home, async (registry) => {
    const r = registry.upsertCamera({
      id, site: siteId,
      ...(values.gateway !== undefined ? { gateway: values.gateway } : {}),
      ...(probe !== undefined ? { probe: probe as 'rtsp' | 'http' | 'tcp' | 'opcua' } : {}),
      ...(values.address !== undefined ? { address: values.address } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
    }, actor());
    out(values.json ? `${JSON.stringify(r, null, 2)}\n` : `camera ${r.camera.id}: ${r.outcome}\n`);
    return 0;
  });
}

async function importCmd(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, 'dry-run': { type: 'boolean', default: false }, out: { type: 'string' } });
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError('the CSV file is required: ioc provision import FILE.csv');
  if (extra.length) throw new UsageError(`one file at a time (got ${positionals.length})`);
  const mqttUrl = values['mqtt-url'] ?? process.env.IOC_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const progress = (s: string): void => { if (process.stderr.isTTY) process.stderr.write(s); };
  return withRegistry(values.home, (registry) =>
    runImport(registry, file, { dryRun: values['dry-run'], outDir: values.out ?? 'edge-configs', mqttUrl, actor: actor(), json: values.json }, out, progress),
  );
}

const subcommands: Record<string, (argv: string[], out: (s: string) => void) => Promise<number>> = { site, gateway, sensor, camera, import: importCmd };

export async function provisionCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === 'help' || rest.includes('--help')) {
    out(provisionHelp);
    return what === undefined ? 2 : 0;
  }
  const run = subcommands[what];
  if (!run) throw new UsageError(`ioc provision ${what}: unknown; use ${Object.keys(subcommands).join(', ')}`);
  return run(rest, out);
}
