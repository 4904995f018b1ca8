import { once } from 'node:events';
import pino from 'pino';
import { routeOpcuaLogs } from '@ioc/edge';
import { parse, port, UsageError } from './args.js';
import { homeFiles, iocHome } from './home.js';
import { startStack } from './stack.js';
import { DEMO, startDemoSite, type DemoSite } from './demo-site.js';

export const upHelp = `Usage: ioc up [options]

Brings up the whole system on one machine with a simulated province: InfluxDB (a managed child process,
data under $IOC_HOME), the MQTT broker, the cloud API and ingest, and the shipped Hà Nam scenario
(simulators/scenarios/ha-nam.yaml): dust sensors, gas, weather and water stations and cameras on virtual
serial ports and loopback ports, with a real edge agent per gateway reading them. Ctrl-C stops everything.

Options (each also an environment variable):
  --home DIR          $IOC_HOME, default ./.ioc
  --mqtt-port N       $IOC_MQTT_PORT, default 1883 (0 = any free port)
  --http-port N       $IOC_HTTP_PORT, default 8080
  --influx-port N     $IOC_INFLUX_PORT, default 8186 (the managed InfluxDB; not the system's 8086)
  --influx-url URL    $IOC_INFLUX_URL: use a running InfluxDB 1.x instead of starting one
  --no-sim            do not start the simulated site
  --scenario FILE     run this scenario instead of Hà Nam (a path, or a shipped name: ha-nam, minimal)
  --speed N           scenario seconds per real second (values, episodes, faults); default the file's
  --backfill DAYS     first publish DAYS of the scenario's history (historical: true), then go live
  --verbose           logs to the terminal as well as $IOC_HOME/ioc.log
`;

export async function upCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse(argv, {
    home: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'http-port': { type: 'string' },
    'influx-port': { type: 'string' },
    'influx-url': { type: 'string' },
    'no-sim': { type: 'boolean', default: false },
    scenario: { type: 'string' },
    speed: { type: 'string' },
    backfill: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    out(upHelp);
    return 0;
  }
  const speed = positiveNumber('--speed', values.speed);
  const backfillDays = positiveNumber('--backfill', values.backfill);
  const home = iocHome(values.home);
  const files = homeFiles(home);
  const level = process.env.IOC_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: pino.destination({ dest: files.log, mkdir: true, sync: false }) }];
  if (values.verbose) streams.push({ level: level as pino.Level, stream: process.stdout });
  const log = pino({ level, redact: ['password', '*.password', 'token', '*.token'] }, pino.multistream(streams));

  // node-opcua (the simulated stations, the agents' OPC-UA inputs) prints to the console: into the log instead.
  await routeOpcuaLogs(log.child({ component: 'node-opcua' }));
  const influxUrl = values['influx-url'] ?? process.env.IOC_INFLUX_URL;
  const stack = await startStack({
    home,
    log,
    mqttPort: port(values['mqtt-port'], 'IOC_MQTT_PORT', 1883),
    httpPort: port(values['http-port'], 'IOC_HTTP_PORT', 8080),
    influxPort: port(values['influx-port'], 'IOC_INFLUX_PORT', 8186),
    ...(influxUrl ? { influxUrl } : {}),
  });
  let demo: Awaited<ReturnType<typeof startDemoSite>> | undefined;
  try {
    if (!values['no-sim']) {
      demo = await startDemoSite({
        registry: stack.registry,
        mqttUrl: stack.broker.url,
        runDir: files.run,
        log,
        ...(values.scenario ? { scenarioFile: values.scenario } : {}),
        ...(speed !== undefined ? { speed } : {}),
        ...(backfillDays !== undefined ? { backfillDays } : {}),
        onEvent: (e) => log.info({ scenarioEvent: e }, 'scenario'),
      });
    }
  } catch (err) {
    await stack.close();
    throw err;
  }
  const api = stack.cloud.url;
  out(
    [
      'IOC Telemetry is up.',
      `  API          ${api}/api/v1/health   (OpenAPI: ${api}/docs)`,
      `  MQTT         ${stack.broker.url}`,
      `  InfluxDB     ${stack.influxUrl}   (database "ioc")`,
      `  admin token  ${stack.adminTokenFile}`,
      `  logs         ${files.log}`,
      ...(demo ? simulatedLines(demo) : ['  simulated    none (--no-sim)']),
      '',
      'Try:',
      `  curl -H "Authorization: Bearer $(cat ${stack.adminTokenFile})" "${api}/api/v1/telemetry?sensor=${DEMO.sensor}&metric=pm25"`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  out(`\n${String(signal[0] ?? 'signal')}: stopping…\n`);
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  await demo?.close();
  await stack.close();
  log.flush();
  out('Stopped.\n');
  return 0;
}

function positiveNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${flag}: ${JSON.stringify(raw)} is not a positive number`);
  return n;
}

/** The banner's lines about the simulated scenario. */
function simulatedLines(demo: DemoSite): string[] {
  const spec = demo.scenario.spec;
  const devices = demo.run.gateways.reduce((n, g) => n + g.devices.length, 0);
  const agents = demo.gateways.filter((g) => g.agent).length;
  const skipped = demo.gateways.flatMap((g) => g.skipped.map((s) => `${g.gateway}/${s.sensor}: ${s.reason}`));
  const lines = [
    `  simulated    scenario ${spec.id} (${spec.name.vi}): ${spec.sites.length} sites, ${devices} devices, ${agents} edge agents, ${spec.faults.length} faults scheduled, speed ×${demo.run.clock.speed}`,
  ];
  if (demo.hostPath) lines.push(`               e.g. site ${DEMO.site}, gateway ${DEMO.gateway}, PMS5003 "${DEMO.sensor}" on ${demo.hostPath}`);
  if (demo.backfill) lines.push(`               history: ${demo.backfill.readings} readings back to ${new Date(demo.backfill.fromMs).toISOString()} (historical: true)`);
  for (const line of skipped) lines.push(`               not read by an agent: ${line}`);
  return lines;
}
