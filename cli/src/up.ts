import { once } from 'node:events';
import pino from 'pino';
import { parse, port } from './args.js';
import { homeFiles, iocHome } from './home.js';
import { startStack } from './stack.js';
import { DEMO, startDemoSite } from './demo-site.js';

export const upHelp = `Usage: ioc up [options]

Brings up the whole system on one machine with a simulated site: InfluxDB (a managed child process,
data under $IOC_HOME), the MQTT broker, the cloud API and ingest, a simulated PMS5003 on a virtual
serial port and a real edge agent reading it. Ctrl-C stops everything.

Options (each also an environment variable):
  --home DIR          $IOC_HOME, default ./.ioc
  --mqtt-port N       $IOC_MQTT_PORT, default 1883 (0 = any free port)
  --http-port N       $IOC_HTTP_PORT, default 8080
  --influx-port N     $IOC_INFLUX_PORT, default 8186 (the managed InfluxDB; not the system's 8086)
  --influx-url URL    $IOC_INFLUX_URL: use a running InfluxDB 1.x instead of starting one
  --no-sim            do not start the simulated site
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
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    out(upHelp);
    return 0;
  }
  const home = iocHome(values.home);
  const files = homeFiles(home);
  const level = process.env.IOC_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: pino.destination({ dest: files.log, mkdir: true, sync: false }) }];
  if (values.verbose) streams.push({ level: level as pino.Level, stream: process.stdout });
  const log = pino({ level, redact: ['password', '*.password', 'token', '*.token'] }, pino.multistream(streams));

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
    if (!values['no-sim']) demo = await startDemoSite({ registry: stack.registry, mqttUrl: stack.broker.url, runDir: files.run, log });
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
      demo
        ? `  simulated    site ${DEMO.site}, gateway ${DEMO.gateway}, PMS5003 "${DEMO.sensor}" on ${demo.hostPath}`
        : '  simulated    none (--no-sim)',
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
