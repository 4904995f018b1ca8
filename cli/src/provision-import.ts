import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { importStations, type ImportReport, type NewGateway, type Registry } from '@ioc/cloud';
import { parseAgentConfig } from '@ioc/edge';
import { edgeConfigFor } from './edge-config.js';

/** Drivers whose edge input can be written from a CSV row alone (a serial port is all they need). */
const SERIAL_DRIVERS = new Set(['pms5003', 'sds011']);

/** The edge config of a gateway created by an import: serial sensors become inputs; others need a hand. */
export function importedEdgeConfig(gw: NewGateway, mqttUrl: string): { config: Record<string, unknown>; manual: string[] } {
  const inputs = gw.sensors
    .filter((s) => SERIAL_DRIVERS.has(s.driver) && s.port)
    .map((s) => ({ driver: s.driver, id: s.id, port: s.port, sensor: s.id }));
  const manual = gw.sensors.filter((s) => !SERIAL_DRIVERS.has(s.driver) || !s.port).map((s) => `${s.id} (${s.driver})`);
  return { config: { ...edgeConfigFor(gw.site, gw.id, mqttUrl, gw.secret ?? ''), inputs }, manual };
}

function summary(r: ImportReport): string {
  const c = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${v} ${k}`).join(', ');
  return [
    `${r.dryRun ? 'Dry run — nothing written. Would do:' : 'Imported:'} ${r.rows} row(s)`,
    `  sites     ${c(r.sites)}`,
    `  gateways  ${c(r.gateways)}`,
    `  sensors   ${c(r.sensors)}`,
  ].join('\n');
}

/** `ioc provision import FILE`: the whole file or nothing; one edge config per new gateway. */
export async function runImport(
  registry: Registry,
  file: string,
  opts: { dryRun: boolean; outDir: string; mqttUrl: string; actor: string; json: boolean },
  out: (s: string) => void,
  progress: (s: string) => void,
): Promise<number> {
  const text = readFileSync(file, 'utf8');
  const report = await importStations(registry, text, {
    dryRun: opts.dryRun,
    actor: opts.actor,
    onProgress: (done, total) => progress(`\rissuing gateway secrets ${done}/${total} ${'█'.repeat(Math.round((20 * done) / total)).padEnd(20, '░')}${done === total ? '\n' : ''}`),
  });
  if (report.errors.length > 0) {
    if (opts.json) out(`${JSON.stringify({ ok: false, errors: report.errors }, null, 2)}\n`);
    else out([`${file}: ${report.errors.length} problem(s), nothing was imported:`, ...report.errors.map((e) => `  line ${e.line}${e.column ? `, column ${e.column}` : ''}: ${e.message}`), ''].join('\n'));
    return 1;
  }
  const written: { gateway: string; file: string; manual: string[] }[] = [];
  if (!opts.dryRun && report.newGateways.length > 0) {
    mkdirSync(opts.outDir, { recursive: true, mode: 0o700 });
    for (const gw of report.newGateways) {
      const { config, manual } = importedEdgeConfig(gw, opts.mqttUrl);
      if ((config.inputs as unknown[]).length > 0) parseAgentConfig(config);
      const target = path.join(opts.outDir, `${gw.id}.json`);
      writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      written.push({ gateway: gw.id, file: target, manual });
    }
  }
  if (opts.json) {
    out(`${JSON.stringify({ ok: true, ...report, newGateways: report.newGateways.map((g) => ({ site: g.site, id: g.id })), edgeConfigs: written }, null, 2)}\n`);
    return 0;
  }
  const lines = [summary(report)];
  for (const w of written) {
    lines.push(`  edge config ${w.file}${w.manual.length ? `  (add by hand: ${w.manual.join(', ')})` : ''}`);
  }
  if (written.length) lines.push('Each edge config holds its gateway\'s MQTT password, shown nowhere else: copy it to the device, then delete it here.');
  out(`${lines.join('\n')}\n`);
  return 0;
}
