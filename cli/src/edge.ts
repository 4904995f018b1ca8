import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import pino from 'pino';
import { getMetric, type Reading } from '@ioc/protocol';
import { DEFAULT_DATA_DIR, drivers, listSerialPorts, loadAgentConfig, parseConfigText, runProbe, startAgent, type ProbeEvent } from '@ioc/edge';
import { parse, UsageError } from './args.js';

export const edgeHelp = `Usage: ioc edge <run|check|ports|probe> [options]

  run     --config FILE   runs the edge agent of this gateway (drivers → outbox → MQTT) until Ctrl-C
  check   --config FILE   validates FILE (YAML or JSON) and exits: 0 if it would load, 1 naming the path of the
                          first problem (e.g. inputs[2].registers[0].scale)
  ports   [--json]        lists this machine's serial ports: device path, manufacturer, serial number, USB ids
  probe   --driver NAME --port PATH [--json] [--count N] [--set KEY=VALUE]... [--input FILE]
          shows the readings a sensor on PATH sends, frame by frame, to check it in the field before provisioning
          (drivers: ${Object.keys(drivers).join(', ')})

Options:
  --config FILE     the gateway's edge config, e.g. from "ioc provision gateway --out FILE"
  --json            one JSON object per line (probe: per frame; ports: one array)
  --count N         probe: stop after N good frames (default: until Ctrl-C)
  --set KEY=VALUE   probe: a field of the input, as in the config (--set mode=passive --set intervalMs=2000);
                    VALUE is read as JSON when it is JSON, else as text
  --input FILE      probe: the input's fields from a YAML or JSON file (e.g. a Modbus register map)
`;

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  driver: { type: 'string' },
  port: { type: 'string' },
  count: { type: 'string' },
  set: { type: 'string', multiple: true },
  input: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];
type Out = (s: string) => void;

/** The signals that stop a long-running subcommand. */
const stopSignal = (): Promise<unknown> => Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);

async function check(values: Values, out: Out): Promise<number> {
  if (!values.config) throw new UsageError('--config FILE is required');
  const config = await loadAgentConfig(values.config);
  const inputs = config.inputs.map((i) => `${i.driver} ${i.id}`).join(', ');
  const http = config.http.port === 0 ? 'off' : `http://${config.http.host}:${config.http.port}/metrics`;
  out(`${values.config}: OK — gateway ${config.gateway.id} in site ${config.gateway.site}; inputs: ${inputs}; broker ${config.mqtt.url}; data dir ${config.dataDir}; metrics ${http}\n`);
  return 0;
}

async function run(values: Values): Promise<number> {
  if (!values.config) throw new UsageError('--config FILE is required');
  const config = await loadAgentConfig(values.config);
  const log = pino({ level: process.env.IOC_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'mqtt.password'] });
  // The agent works in its data dir: relative paths of the drivers (e.g. the OPC-UA pkiDir) land there.
  mkdirSync(config.dataDir ?? DEFAULT_DATA_DIR, { recursive: true, mode: 0o750 });
  process.chdir(config.dataDir ?? DEFAULT_DATA_DIR);
  const agent = await startAgent(config, log);
  await stopSignal();
  await agent.stop();
  log.flush();
  return 0;
}

async function ports(values: Values, out: Out): Promise<number> {
  const list = await listSerialPorts();
  if (values.json) {
    out(`${JSON.stringify(list)}\n`);
    return 0;
  }
  if (list.length === 0) {
    out('No serial ports found. Plug the USB adapter in, then check "dmesg | tail" and ls /dev/serial/by-id/.\n');
    return 0;
  }
  for (const p of list) {
    const usb = p.vendorId ? `usb ${p.vendorId}:${p.productId ?? '?'}` : '';
    out(`${[p.path.padEnd(24), p.manufacturer ?? '-', p.serialNumber ? `serial ${p.serialNumber}` : '', usb].filter(Boolean).join('  ')}\n`);
  }
  return 0;
}

/** `KEY=VALUE` pairs as input fields; VALUE as JSON when it parses, else as text. */
function setFields(pairs: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected KEY=VALUE`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: the text itself
    }
    fields[pair.slice(0, eq)] = value;
  }
  return fields;
}

function inputFile(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  const raw = parseConfigText(readFileSync(file, 'utf8'), file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--input ${file}: must hold one input object`);
  return raw as Record<string, unknown>;
}

/** One frame as the technician reads it; `unit` from the metric catalogue. */
function describe(event: ProbeEvent, json: boolean): string {
  const shown = (r: Reading) => ({ ...(r.sensor !== 'probe' ? { sensor: r.sensor } : {}), metric: r.metric, value: r.value, unit: getMetric(r.metric)?.unit ?? '', ...(r.quality !== 'good' ? { quality: r.quality } : {}) });
  if (json) return `${JSON.stringify(event.ok ? { ok: true, readings: event.readings.map(shown) } : event)}\n`;
  if (!event.ok) return `bad frame: ${event.error}${event.message ? ` (${event.message})` : ''}\n`;
  return `${event.readings.map((r) => `${r.sensor !== 'probe' ? `${r.sensor} ` : ''}${r.metric} ${r.value} ${getMetric(r.metric)?.unit ?? ''}${r.quality !== 'good' ? ` [${r.quality}]` : ''}`.trimEnd()).join('   ')}\n`;
}

async function probe(values: Values, out: Out): Promise<number> {
  if (!values.driver) throw new UsageError(`--driver is required (${Object.keys(drivers).join(', ')})`);
  const input = { ...inputFile(values.input), ...setFields(values.set ?? []), ...(values.port ? { port: values.port } : {}) };
  const port = input.port;
  if (typeof port !== 'string') throw new UsageError('--port PATH is required (see "ioc edge ports")');
  if (!existsSync(port)) throw Object.assign(new Error(`${port} does not exist; "ioc edge ports" lists the serial ports`), { code: 'IOC_ERR_PORT_NOT_FOUND' });
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count: ${JSON.stringify(values.count)} is not a whole number ≥ 1`);
  }
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const log = pino({ level: 'warn' }, pino.destination(2)); // "cannot open serial port" and the like, on stderr
  try {
    const result = await runProbe({ driver: values.driver, input, log, ...(count !== undefined ? { count } : {}), signal: controller.signal, onEvent: (e) => out(describe(e, values.json)) });
    if (!values.json) out(`${result.good} good frame(s), ${result.bad} bad\n`);
    return 0;
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
  }
}

export async function edgeCommand(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, OPTIONS);
  if (sub === undefined || sub === 'help' || sub === '--help' || values.help) {
    out(edgeHelp);
    return sub === undefined ? 2 : 0;
  }
  switch (sub) {
    case 'run':
      return run(values);
    case 'check':
      return check(values, out);
    case 'ports':
      return ports(values, out);
    case 'probe':
      return probe(values, out);
    default:
      throw new UsageError(`ioc edge ${sub}: unknown; use run, check, ports or probe`);
  }
}
