import { once } from 'node:events';
import path from 'node:path';
import pino from 'pino';
import { Registry } from '@ioc/cloud';
import { routeOpcuaLogs } from '@ioc/edge';
import {
  formatDuration,
  LOAD_LIMITS,
  loadScenarioFile,
  parseDuration,
  publishBackfill,
  resolveScenarioPath,
  runLoad,
  runScenario,
  type LoadProgress,
  type RunningScenario,
  type Scenario,
  type ScenarioEvent,
} from '@ioc/simulators';
import { parse, UsageError } from './args.js';
import { provisionScenario, startScenarioSite, type ScenarioSite } from './demo-site.js';
import { homeFiles, iocHome } from './home.js';

export const simHelp = `Usage: ioc sim <run|backfill|load> [options]

  run SCENARIO      starts the scenario's virtual devices and, unless --no-agents, provisions each gateway in the
                    registry and runs an edge agent per gateway against a running broker (e.g. one of \`ioc up\`)
      --no-agents       devices only; prints where each device listens
      --speed N         scenario seconds per real second (values, episodes, faults); default the file's
      --start TIME      scenario time at the start, ISO 8601 (e.g. 2025-12-20T06:00:00+07:00); default the file's or now
      --backfill DAYS   first publish DAYS of history (see backfill), then go live
  backfill SCENARIO publishes the scenario's history with its original timestamps (historical: true), straight over
                    MQTT with each gateway's credentials, so charts and daily AQI have a past
      --days N          how far back, default 7
      --interval D      one reading per sensor every D (e.g. 5m, 1h), default 5m
  load              many gateways (load-001 … in site "load") straight over MQTT with real credentials; prints the
                    achieved rate, errors and publish latency every second, and a summary
      --gateways N      default 10 (1 … ${LOAD_LIMITS.gateways})
      --sensors M       readings per message, default 10 (1 … ${LOAD_LIMITS.sensors})
      --rate R          messages per second, all gateways together, default 100 (≤ ${LOAD_LIMITS.rate}, ≤ ${LOAD_LIMITS.ratePerGateway} per gateway)
      --duration T      e.g. 30s, 2m (or seconds), default 10s (≤ 1h)
      --qos 0|1         default 1

SCENARIO is a YAML file or a shipped name (ha-nam, minimal); see docs/simulators.md.
Secrets: run and backfill give each gateway of the scenario a new secret (the old one stops working), so never
run a scenario twice at once: against \`ioc up\`, use \`ioc up --no-sim\` or another scenario than the one it runs.

Common options:
  --home DIR        $IOC_HOME (default ./.ioc): the registry the broker checks
  --mqtt-url URL    the broker (default $IOC_MQTT_URL or mqtt://127.0.0.1:1883); load accepts loopback only
`;

const COMMON = { home: { type: 'string' }, 'mqtt-url': { type: 'string' }, help: { type: 'boolean', default: false } } as const;
const actor = (): string => `ioc sim (${process.env.USER ?? 'unknown'})`;
const mqttUrlOf = (flag: string | undefined): string => flag ?? process.env.IOC_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const DAY_MS = 86_400_000;

function number(flag: string, raw: string | undefined, fallback: number, check: (n: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag}: ${JSON.stringify(raw)} is not ${what}`);
  return n;
}

/** A duration flag: `30s`, `2m`, `1h30m`, or plain seconds. */
function duration(flag: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : parseDuration(raw);
  if (!(ms > 0)) throw new UsageError(`--${flag}: ${JSON.stringify(raw)} is not a duration (30s, 2m, 1h30m or seconds)`);
  return ms;
}

async function scenarioArg(positionals: string[]): Promise<Scenario> {
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError('the scenario is required (a YAML file, or a shipped name: ha-nam, minimal)');
  if (extra.length > 0) throw new UsageError(`one scenario at a time (got ${positionals.length})`);
  return loadScenarioFile(resolveScenarioPath(file));
}

function withRegistry<T>(home: string | undefined, fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = Registry.open(homeFiles(iocHome(home)).registry);
  return fn(registry).finally(() => registry.close());
}

/** Scenario local time, `2025-12-15 06:45 +07`. */
function localStamp(scenario: Scenario, ms: number): string {
  const offset = scenario.spec.utcOffsetHours;
  const iso = new Date(ms + offset * 3_600_000).toISOString();
  const sign = offset < 0 ? '-' : '+';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} ${sign}${String(Math.abs(offset)).padStart(2, '0')}`;
}

function eventLine(scenario: Scenario, e: ScenarioEvent): string {
  if (e.type === 'error') return `  ! ${e.target}: ${e.message}\n`;
  const fault = scenario.spec.faults[Number(/\d+/.exec(e.fault)?.[0])];
  const length = fault?.when.for ? ` (${fault.when.for})` : fault?.when.daily ? ` (${fault.when.daily})` : '';
  const what = `${e.phase === 'start' ? 'starts' : 'ends'}: ${e.kind} ${e.target}${e.phase === 'start' ? length : ''}`;
  return `  [${localStamp(scenario, e.scenarioMs)}] ${e.fault} ${what}${e.applied ? '' : ` — not applied: ${e.detail ?? ''}`}\n`;
}

/** Where each device of a run listens, one line each. */
function deviceLines(run: RunningScenario): string[] {
  return run.gateways.flatMap((g) => [
    `  ${g.site.id} / ${g.gateway.id}${g.mqtt ? `   (agent's broker link: ${g.mqtt.url}, a relay the scenario can cut)` : ''}`,
    ...g.devices.map((d) => {
      const e = d.endpoint;
      const at =
        e.kind === 'serial'
          ? `${e.path}${e.modbus ? `  (Modbus unit ${e.modbus.unitId})` : ''}`
          : e.kind === 'opcua'
            ? `${e.url}  (${e.nodes.length} nodes)`
            : e.url ?? `rtsp://${e.host}:${e.port}/`;
      return `    ${d.sensor.sensor.id.padEnd(12)} ${d.sensor.kind.padEnd(14)} ${at}`;
    }),
    ...g.unsupported.map((u) => `    ${u.sensor.sensor.id.padEnd(12)} ${u.sensor.kind.padEnd(14)} NOT SIMULATED: ${u.reason}`),
  ]);
}

function agentLines(site: ScenarioSite): string[] {
  return site.gateways.flatMap((g) => [
    `  ${g.gateway}: ${g.agent ? `edge agent reading ${g.inputs.join(', ')}` : 'no edge agent (nothing it can read)'}`,
    ...g.skipped.map((s) => `    not read: ${s.sensor} — ${s.reason}`),
  ]);
}

async function untilSignal(out: (s: string) => void): Promise<void> {
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  out(`\n${String(signal[0] ?? 'signal')}: stopping…\n`);
  process.once('SIGINT', () => process.exit(130));
}

/** A progress bar on stderr, redrawn at most every 100 ms; nothing when stderr is not a terminal. */
function progressBar(label: string): { update(done: number, total: number): void; end(): void } {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let last = 0;
  const draw = (done: number, total: number): void => {
    const share = total > 0 ? done / total : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const rate = (done * 1000) / Math.max(1, performance.now() - started);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} readings  ${Math.round(rate).toLocaleString('en-US')}/s `);
  };
  let latest: [number, number] = [0, 0];
  return {
    update(done, total) {
      latest = [done, total];
      const now = performance.now();
      if (!tty || now - last < 100) return;
      last = now;
      draw(done, total);
    },
    end() {
      if (!tty) return;
      draw(...latest);
      process.stderr.write('\n');
    },
  };
}

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...COMMON,
    'no-agents': { type: 'boolean', default: false },
    speed: { type: 'string' },
    start: { type: 'string' },
    backfill: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  });
  if (values.help) {
    out(simHelp);
    return 0;
  }
  const scenario = await scenarioArg(positionals);
  const speed = values.speed === undefined ? undefined : number('speed', values.speed, 1, (n) => n >= 0.001 && n <= 10_000, 'a speed between 0.001 and 10000');
  const startMs = values.start === undefined ? undefined : Date.parse(values.start);
  if (startMs !== undefined && !Number.isFinite(startMs)) throw new UsageError(`--start: ${JSON.stringify(values.start)} is not an ISO 8601 time`);
  const backfillDays = values.backfill === undefined ? undefined : number('backfill', values.backfill, 0, (n) => n > 0 && n <= 366, 'a number of days (≤ 366)');
  const home = iocHome(values.home);
  const runDir = path.join(homeFiles(home).run, `sim-${scenario.spec.id}`);
  const onEvent = (e: ScenarioEvent): void => out(eventLine(scenario, e));
  const timing = { ...(speed !== undefined ? { speed } : {}), ...(startMs !== undefined ? { startMs } : {}) };

  const log = pino(
    { level: process.env.IOC_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'token', '*.token'] },
    values.verbose ? pino.multistream([{ stream: pino.destination({ dest: path.join(home, 'sim.log'), mkdir: true, sync: false }) }, { stream: process.stdout }]) : pino.destination({ dest: path.join(home, 'sim.log'), mkdir: true, sync: false }),
  );
  await routeOpcuaLogs(log.child({ component: 'node-opcua' })); // its console chatter (stations, agents) goes to sim.log

  if (values['no-agents']) {
    if (backfillDays !== undefined) throw new UsageError('--backfill needs agents (their credentials); drop --no-agents');
    const running = await runScenario(scenario, { runDir, onEvent, ...timing });
    out([`Scenario ${scenario.spec.id} (${scenario.spec.name.vi}) is running, devices only, speed ×${running.clock.speed}:`, ...deviceLines(running), '', 'Ctrl-C stops it.', ''].join('\n'));
    await untilSignal(out);
    await running.stop();
    out('Stopped.\n');
    return 0;
  }

  const mqttUrl = mqttUrlOf(values['mqtt-url']);
  const bar = progressBar('history');
  const site = await withRegistry(values.home, async (registry) =>
    startScenarioSite({
      scenario, registry, mqttUrl, runDir, log, actor: actor(), onEvent, ...timing,
      ...(backfillDays !== undefined ? { backfillDays, onBackfillProgress: (d: number, t: number) => bar.update(d, t) } : {}),
    }),
  ).finally(() => bar.end());
  out(
    [
      `Scenario ${scenario.spec.id} (${scenario.spec.name.vi}) is running against ${mqttUrl}, speed ×${site.run.clock.speed}, scenario time ${localStamp(scenario, site.run.clock.now())}:`,
      ...deviceLines(site.run),
      '',
      ...agentLines(site),
      ...(site.backfill ? [`  history: ${site.backfill.readings.toLocaleString('en-US')} readings in ${site.backfill.messages} messages`] : []),
      '',
      `Logs: ${path.join(home, 'sim.log')}. Faults are printed as they happen. Ctrl-C stops it.`,
      '',
    ].join('\n'),
  );
  await untilSignal(out);
  await site.close();
  log.flush();
  out('Stopped.\n');
  return 0;
}

async function backfill(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, days: { type: 'string' }, interval: { type: 'string' } });
  if (values.help) {
    out(simHelp);
    return 0;
  }
  const scenario = await scenarioArg(positionals);
  const days = number('days', values.days, 7, (n) => n > 0 && n <= 366, 'a number of days (≤ 366)');
  const intervalMs = duration('interval', values.interval, 300_000);
  if (intervalMs < 1000) throw new UsageError('--interval: at least 1s');
  const mqttUrl = mqttUrlOf(values['mqtt-url']);
  const toMs = Date.now();
  const window = { fromMs: toMs - days * DAY_MS, toMs, intervalMs };
  const bar = progressBar('backfill');
  const summary = await withRegistry(values.home, async (registry) => {
    const passwords = await provisionScenario(registry, scenario, actor());
    return publishBackfill(scenario, { url: mqttUrl, passwords, window, onProgress: (d, t) => bar.update(d, t) });
  }).finally(() => bar.end());
  out(
    `Backfilled ${scenario.spec.id}: ${summary.readings.toLocaleString('en-US')} readings in ${summary.messages.toLocaleString('en-US')} messages from ${summary.gateways} gateways, ` +
      `${new Date(summary.fromMs).toISOString()} … ${new Date(summary.toMs).toISOString()}, one per sensor every ${formatDuration(intervalMs)}, ` +
      `in ${(summary.elapsedMs / 1000).toFixed(1)} s (${Math.round((summary.readings * 1000) / summary.elapsedMs).toLocaleString('en-US')} readings/s). ` +
      `Each gateway has a new secret: restart agents that use the old one.\n`,
  );
  return 0;
}

function progressLine(p: LoadProgress): string {
  const ms = (x: number): string => (Number.isNaN(x) ? '   –   ' : `${x.toFixed(2).padStart(6)} ms`);
  return `  ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s  sent ${String(p.sent).padStart(8)}  acked ${String(p.acked).padStart(8)}  errors ${p.errors + p.connectionErrors}  rate ${Math.round(p.rate).toString().padStart(6)} msg/s  p50 ${ms(p.p50Ms)}  p99 ${ms(p.p99Ms)}\n`;
}

/** Provisions load-001 … load-N in site `load` (created, or rotated when they exist), a few scrypt hashes at a time. */
async function provisionLoad(registry: Registry, count: number): Promise<{ site: string; gateway: string; password: string }[]> {
  registry.upsertSite({ id: 'load', nameVi: 'Thử tải', nameEn: 'Load test', district: 'load' }, actor());
  const width = Math.max(3, String(count).length);
  const ids = Array.from({ length: count }, (_, i) => `load-${String(i + 1).padStart(width, '0')}`);
  const out: { site: string; gateway: string; password: string }[] = [];
  for (let i = 0; i < ids.length; i += 8) {
    out.push(
      ...(await Promise.all(
        ids.slice(i, i + 8).map(async (id) => {
          const existing = registry.getGateway(id);
          if (existing && existing.site !== 'load') throw new UsageError(`gateway ${id} exists in site ${existing.site}; load gateways live in site "load"`);
          const { secret } = existing ? await registry.rotateGatewaySecret(id, actor()) : await registry.createGateway('load', id, actor());
          return { site: 'load', gateway: id, password: secret };
        }),
      )),
    );
  }
  return out;
}

async function load(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON, gateways: { type: 'string' }, sensors: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, qos: { type: 'string' } });
  if (values.help) {
    out(simHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`ioc sim load takes no scenario (got ${positionals.join(' ')})`);
  const int = (n: number): boolean => Number.isInteger(n);
  const gateways = number('gateways', values.gateways, 10, (n) => int(n) && n >= 1 && n <= LOAD_LIMITS.gateways, `an integer 1 … ${LOAD_LIMITS.gateways}`);
  const sensors = number('sensors', values.sensors, 10, (n) => int(n) && n >= 1 && n <= LOAD_LIMITS.sensors, `an integer 1 … ${LOAD_LIMITS.sensors}`);
  const rate = number('rate', values.rate, 100, (n) => n > 0 && n <= LOAD_LIMITS.rate && n / gateways <= LOAD_LIMITS.ratePerGateway, `a rate ≤ ${LOAD_LIMITS.rate} msg/s and ≤ ${LOAD_LIMITS.ratePerGateway} per gateway`);
  const durationMs = duration('duration', values.duration, 10_000);
  if (durationMs > LOAD_LIMITS.durationMs) throw new UsageError('--duration: at most 1h');
  const qos = number('qos', values.qos, 1, (n) => n === 0 || n === 1, '0 or 1') as 0 | 1;
  const url = mqttUrlOf(values['mqtt-url']);
  const creds = await withRegistry(values.home, (registry) => provisionLoad(registry, gateways));
  out(`Load: ${gateways} gateways × ${sensors} sensors, ${rate} msg/s (${rate * sensors} readings/s) for ${formatDuration(durationMs)}, QoS ${qos}, to ${url}\n`);
  const onProgress = (p: LoadProgress): void => {
    // The report after the last PUBACKs have drained is the summary's business.
    if (p.elapsedMs <= durationMs + 1) out(progressLine(p));
  };
  const summary = await runLoad({ url, gateways: creds, sensors, rate, durationMs, qos, onProgress });
  out(
    [
      'Summary:',
      `  messages   sent ${summary.sent}, acknowledged ${summary.acked}, failed ${summary.errors}; connection errors ${summary.connectionErrors}`,
      `  readings   ${summary.readingsAcked} acknowledged`,
      `  rate       ${summary.achievedRate.toFixed(1)} msg/s achieved of ${summary.targetRate} asked (${(summary.achievedRate * sensors).toFixed(0)} readings/s)`,
      `  latency    p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, max ${summary.maxMs.toFixed(2)} ms (${qos === 1 ? 'publish to PUBACK' : 'publish to socket write'})`,
      '',
    ].join('\n'),
  );
  return summary.errors + summary.connectionErrors === 0 ? 0 : 1;
}

const subcommands: Record<string, (argv: string[], out: (s: string) => void) => Promise<number>> = { run, backfill, load };

export async function simCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === 'help') {
    out(simHelp);
    return what === undefined ? 2 : 0;
  }
  const sub = subcommands[what];
  if (!sub) throw new UsageError(`ioc sim ${what}: unknown; use ${Object.keys(subcommands).join(', ')}`);
  return sub(rest, out);
}
