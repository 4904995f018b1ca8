import { getMetric, isValidId } from '@ioc/protocol';
import { Registry } from '../registry.js';
import type { SiteInput, UpsertOutcome } from '../types.js';
import { parseCsv, type CsvRecord } from './csv.js';

/**
 * Bulk provisioning from a district's stations.csv: one row per sensor (or per gateway, with the
 * sensor columns empty). All or nothing: every bad row is reported with its line and column, and
 * nothing is written unless the whole file is good. Idempotent: re-importing the same file changes
 * nothing (and issues no new secrets).
 */
export const STATION_COLUMNS = {
  required: ['site', 'gateway'],
  optional: ['site_name_vi', 'site_name_en', 'district', 'lat', 'lon', 'gateway_name', 'sensor', 'driver', 'port', 'metrics', 'description'],
} as const;

/** Drivers the edge agent knows; a typo here would make a config the gateway refuses. */
export const KNOWN_DRIVERS = ['pms5003', 'sds011', 'modbus-rtu', 'opcua', 'camera'] as const;

export interface ImportIssue {
  line: number;
  /** The CSV column at fault, or null for the whole row/file. */
  column: string | null;
  message: string;
}

export interface ImportedSensor { id: string; driver: string; port: string | null; metrics: string[] }

export interface NewGateway {
  site: string;
  id: string;
  /** The MQTT password, issued now and never shown again; absent in a dry run. */
  secret?: string;
  sensors: ImportedSensor[];
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  sites: Record<UpsertOutcome, number>;
  gateways: { created: number; existing: number };
  sensors: Record<UpsertOutcome, number>;
  errors: ImportIssue[];
  newGateways: NewGateway[];
}

export interface ImportOptions {
  dryRun: boolean;
  actor: string;
  /** Progress of the slow part (hashing new gateways' secrets): done of total. */
  onProgress?: (done: number, total: number) => void;
}

interface Row { line: number; get(col: string): string | undefined }
interface Plan {
  sites: Map<string, SiteInput>;
  gateways: Map<string, { site: string; name?: string; line: number }>;
  sensors: Map<string, { gateway: string; sensor: ImportedSensor; description?: string }>;
}

const emptyCounts = (): Record<UpsertOutcome, number> => ({ created: 0, updated: 0, unchanged: 0 });

function readHeader(header: CsvRecord, errors: ImportIssue[]): string[] {
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const known = new Set<string>([...STATION_COLUMNS.required, ...STATION_COLUMNS.optional]);
  names.forEach((n, i) => {
    if (!known.has(n)) errors.push({ line: header.line, column: n || `#${i + 1}`, message: `unknown column; known: ${[...known].join(', ')}` });
    if (names.indexOf(n) !== i) errors.push({ line: header.line, column: n, message: 'column appears twice' });
  });
  for (const r of STATION_COLUMNS.required) if (!names.includes(r)) errors.push({ line: header.line, column: r, message: 'required column is missing' });
  return names;
}

function numberIn(row: Row, col: string, min: number, max: number, errors: ImportIssue[]): number | undefined {
  const raw = row.get(col);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw.replace(',', '.'));
  if (!Number.isFinite(n) || n < min || n > max) {
    errors.push({ line: row.line, column: col, message: `${JSON.stringify(raw)} is not a number between ${min} and ${max}` });
    return undefined;
  }
  return n;
}

function idIn(row: Row, col: string, errors: ImportIssue[], required: boolean): string | undefined {
  const raw = row.get(col) ?? '';
  if (raw === '') {
    if (required) errors.push({ line: row.line, column: col, message: 'is required' });
    return undefined;
  }
  if (!isValidId(raw)) {
    errors.push({ line: row.line, column: col, message: `${JSON.stringify(raw)} is not a valid id (1–64 of a-z 0-9 _ -, starting with a letter or digit)` });
    return undefined;
  }
  return raw;
}

/** The same site or gateway on several rows must say the same thing each time. */
function mergeSite(plan: Plan, site: SiteInput, line: number, errors: ImportIssue[]): void {
  const seen = plan.sites.get(site.id);
  if (!seen) return void plan.sites.set(site.id, site);
  for (const key of ['nameVi', 'nameEn', 'district', 'lat', 'lon'] as const) {
    const a = seen[key];
    const b = site[key];
    if (b === undefined) continue;
    if (a === undefined) (seen as Record<string, unknown>)[key] = b;
    else if (a !== b) errors.push({ line, column: key, message: `site ${site.id} was given ${JSON.stringify(a)} on an earlier row, ${JSON.stringify(b)} here` });
  }
}

function planRow(row: Row, plan: Plan, registry: Registry, errors: ImportIssue[]): void {
  const site = idIn(row, 'site', errors, true);
  const gateway = idIn(row, 'gateway', errors, true);
  const lat = numberIn(row, 'lat', -90, 90, errors);
  const lon = numberIn(row, 'lon', -180, 180, errors);
  if (!site || !gateway) return;
  const text = (col: string) => { const v = row.get(col); return v === undefined || v === '' ? undefined : v; };
  const input: SiteInput = { id: site };
  const [vi, en, district] = [text('site_name_vi'), text('site_name_en'), text('district')];
  if (vi !== undefined) input.nameVi = vi;
  if (en !== undefined) input.nameEn = en;
  if (district !== undefined) input.district = district;
  if (lat !== undefined) input.lat = lat;
  if (lon !== undefined) input.lon = lon;
  mergeSite(plan, input, row.line, errors);

  const seenGw = plan.gateways.get(gateway);
  if (seenGw && seenGw.site !== site) errors.push({ line: row.line, column: 'site', message: `gateway ${gateway} is in site ${seenGw.site} on line ${seenGw.line}` });
  const existing = registry.getGateway(gateway);
  if (existing && existing.site !== site) errors.push({ line: row.line, column: 'site', message: `gateway ${gateway} is already provisioned in site ${existing.site}` });
  const gwName = text('gateway_name');
  if (!seenGw) plan.gateways.set(gateway, { site, line: row.line, ...(gwName ? { name: gwName } : {}) });

  const sensor = idIn(row, 'sensor', errors, false);
  const driver = text('driver');
  if (!sensor && !driver) return;
  if (!sensor) return void errors.push({ line: row.line, column: 'sensor', message: 'is required when driver is given' });
  if (!driver || !(KNOWN_DRIVERS as readonly string[]).includes(driver)) {
    return void errors.push({ line: row.line, column: 'driver', message: `${JSON.stringify(driver ?? '')} is not a driver; known: ${KNOWN_DRIVERS.join(', ')}` });
  }
  const metrics = (text('metrics') ?? '').split(/[;\s]+/).filter(Boolean);
  const unknown = metrics.filter((m) => !getMetric(m));
  if (unknown.length > 0) errors.push({ line: row.line, column: 'metrics', message: `not in the metric catalogue: ${unknown.join(', ')}` });
  const key = `${gateway}/${sensor}`;
  if (plan.sensors.has(key)) return void errors.push({ line: row.line, column: 'sensor', message: `sensor ${sensor} of gateway ${gateway} appears twice` });
  const description = text('description');
  plan.sensors.set(key, { gateway, sensor: { id: sensor, driver, port: text('port') ?? null, metrics }, ...(description ? { description } : {}) });
}

/** Validates the whole file against itself and the registry; writes nothing. */
export function planImport(registry: Registry, text: string): { plan: Plan; rows: number; errors: ImportIssue[] } {
  const plan: Plan = { sites: new Map(), gateways: new Map(), sensors: new Map() };
  const errors: ImportIssue[] = [];
  const csv = parseCsv(text);
  if (!csv.ok) return { plan, rows: 0, errors: [{ line: csv.error.line, column: null, message: csv.error.message }] };
  const [header, ...records] = csv.records;
  if (!header) return { plan, rows: 0, errors: [{ line: 1, column: null, message: 'the file is empty: expected a header line' }] };
  const names = readHeader(header, errors);
  if (errors.length > 0) return { plan, rows: records.length, errors };
  for (const rec of records) {
    if (rec.fields.length !== names.length) {
      errors.push({ line: rec.line, column: null, message: `${rec.fields.length} fields, the header has ${names.length}` });
      continue;
    }
    const row: Row = { line: rec.line, get: (col) => { const i = names.indexOf(col); return i < 0 ? undefined : rec.fields[i]!.trim(); } };
    planRow(row, plan, registry, errors);
  }
  return { plan, rows: records.length, errors };
}

class DryRun extends Error {}

/** Plans, then (unless dry-run or any error) applies the whole file in one transaction. */
export async function importStations(registry: Registry, text: string, opts: ImportOptions): Promise<ImportReport> {
  const { plan, rows, errors } = planImport(registry, text);
  const report: ImportReport = { dryRun: opts.dryRun, rows, sites: emptyCounts(), gateways: { created: 0, existing: 0 }, sensors: emptyCounts(), errors, newGateways: [] };
  if (errors.length > 0) return report;

  const fresh = [...plan.gateways.entries()].filter(([id]) => !registry.getGateway(id));
  const secrets = new Map<string, { secret: string; hash: string }>();
  if (!opts.dryRun) {
    for (const [i, [id]] of fresh.entries()) {
      secrets.set(id, await Registry.prepareSecret());
      opts.onProgress?.(i + 1, fresh.length);
    }
  }
  try {
    registry.transaction(() => {
      for (const site of plan.sites.values()) report.sites[registry.upsertSite(site, opts.actor).outcome] += 1;
      for (const [id, gw] of plan.gateways) {
        if (registry.getGateway(id)) { report.gateways.existing += 1; continue; }
        const info = gw.name ? { name: gw.name } : {};
        registry.createGatewayWithHash(gw.site, id, secrets.get(id)?.hash ?? 'dry-run', opts.actor, info);
        report.gateways.created += 1;
      }
      for (const { gateway, sensor, description } of plan.sensors.values()) {
        const input = { gateway, id: sensor.id, driver: sensor.driver, metrics: sensor.metrics, ...(description ? { description } : {}) };
        report.sensors[registry.upsertSensor(input, opts.actor).outcome] += 1;
      }
      if (opts.dryRun) throw new DryRun();
    });
  } catch (err) {
    if (!(err instanceof DryRun)) throw err;
  }
  report.newGateways = fresh.map(([id, gw]) => ({
    site: gw.site,
    id,
    ...(secrets.get(id) ? { secret: secrets.get(id)!.secret } : {}),
    sensors: [...plan.sensors.values()].filter((s) => s.gateway === id).map((s) => s.sensor),
  }));
  return report;
}
