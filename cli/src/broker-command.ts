import { once } from 'node:events';
import pino from 'pino';
import { startBroker, type CredentialVerifier, type TlsListenerOptions } from '@ioc/broker';
import { Registry } from '@ioc/cloud';
import { parse, port, UsageError } from './args.js';
import { homeFiles, iocHome } from './home.js';

export const brokerHelp = `Usage: ioc broker [options]

Runs the MQTT broker on its own (one node of a cluster with --redis). Gateways and service accounts
authenticate against the registry in $IOC_HOME/registry.db, each gateway confined to its own topics;
a gateway revoked while connected is disconnected within seconds. Ctrl-C stops it gracefully: QoS 1
messages in flight are delivered and acknowledged first.

Options (some also environment variables):
  --home DIR             $IOC_HOME, default ./.ioc (the registry is DIR/registry.db)
  --host ADDR            $IOC_MQTT_HOST, interface for every listener, default 127.0.0.1 (0.0.0.0: all)
  --port N               $IOC_MQTT_PORT, MQTT over TCP, default 1883 (0 = any free port)
  --tls-port N           $IOC_MQTT_TLS_PORT, MQTT over TLS, default 8883; needs --cert and --key
  --cert FILE            the broker's TLS certificate chain (PEM)
  --key FILE             its private key (PEM)
  --ca FILE              CA (PEM) that signs client certificates: TLS clients are asked for one
  --require-client-cert  fail the TLS handshake without a client certificate signed by --ca
  --cert-auth            a client certificate signed by --ca authenticates its CN (a gateway id), no password
  --redis URL            $IOC_REDIS_URL, cluster mode: sessions, retained messages and queues in Redis
                         (one Redis server per cluster: its pub/sub is shared by all databases)
  --metrics-port N       $IOC_BROKER_METRICS_PORT, Prometheus GET /metrics, default 9883 (0 = any free port)

Logs are JSON lines on stderr (level: $IOC_LOG_LEVEL, default info); secrets are never logged.
`;

/** The registry seen through the broker's CredentialVerifier: the one place the two meet. */
export function registryCredentials(registry: Registry): CredentialVerifier {
  return {
    verify: (username, password) => registry.verifyMqtt(username, password),
    isRevoked: async (username) => registry.isRevoked(username),
    // certificate authentication (--cert-auth) is for gateways: the CN is a gateway id
    async lookup(username) {
      const gw = registry.getGateway(username);
      if (!gw) return { ok: false, reason: 'unknown' };
      if (gw.revokedAt !== null) return { ok: false, reason: 'revoked' };
      return { ok: true, principal: { kind: 'gateway', site: gw.site, gateway: gw.id } };
    },
  };
}

type Values = ReturnType<typeof parseBrokerArgs>['values'];

function parseBrokerArgs(argv: string[]) {
  return parse(argv, {
    home: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'tls-port': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    'require-client-cert': { type: 'boolean', default: false },
    'cert-auth': { type: 'boolean', default: false },
    redis: { type: 'string' },
    'metrics-port': { type: 'string' },
    help: { type: 'boolean', default: false },
  });
}

function tlsOptions(v: Values): TlsListenerOptions | undefined {
  if (!v.cert && !v.key) {
    if (v.ca || v['tls-port'] || v['require-client-cert'] || v['cert-auth']) throw new UsageError('TLS options need --cert and --key');
    return undefined;
  }
  if (!v.cert || !v.key) throw new UsageError('--cert and --key go together');
  if ((v['require-client-cert'] || v['cert-auth']) && !v.ca) throw new UsageError('--require-client-cert and --cert-auth need --ca');
  return {
    port: port(v['tls-port'], 'IOC_MQTT_TLS_PORT', 8883),
    certFile: v.cert,
    keyFile: v.key,
    ...(v.ca ? { caFile: v.ca } : {}),
    requireClientCert: v['require-client-cert'],
    certAuth: v['cert-auth'],
  };
}

export async function brokerCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseBrokerArgs(argv);
  if (values.help) {
    out(brokerHelp);
    return 0;
  }
  const tls = tlsOptions(values);
  const redisUrl = values.redis ?? process.env.IOC_REDIS_URL;
  const home = iocHome(values.home);
  const log = pino({ level: process.env.IOC_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'token', '*.token'] }, pino.destination(2));
  const registry = Registry.open(homeFiles(home).registry);
  let broker;
  try {
    broker = await startBroker({
      host: values.host ?? process.env.IOC_MQTT_HOST ?? '127.0.0.1',
      port: port(values.port, 'IOC_MQTT_PORT', 1883),
      ...(tls ? { tls } : {}),
      ...(redisUrl ? { redisUrl } : {}),
      metricsPort: port(values['metrics-port'], 'IOC_BROKER_METRICS_PORT', 9883),
      credentials: registryCredentials(registry),
      log: log.child({ component: 'broker' }),
    });
  } catch (err) {
    registry.close();
    throw err;
  }
  out(
    [
      'IOC MQTT broker is up.',
      `  MQTT         ${broker.url}`,
      ...(broker.tlsUrl ? [`  MQTT (TLS)   ${broker.tlsUrl}`] : []),
      `  metrics      ${broker.metricsUrl ?? 'off'}`,
      `  registry     ${homeFiles(home).registry}`,
      `  cluster      ${redisUrl ? `Redis ${redisUrl.replace(/\/\/[^@]*@/, '//')} (node ${broker.id})` : 'no (sessions in memory)'}`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  out(`\n${String(signal[0] ?? 'signal')}: stopping (in-flight messages first)…\n`);
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  await broker.close();
  registry.close();
  log.flush();
  out('Stopped.\n');
  return 0;
}
