import type { AggregatePoint, TelemetryPoint } from '../telemetry-store.js';
import { storeError, StoreErrorCode } from '../errors.js';
import { errorText } from './http.js';
import { SELECTED_COLUMNS } from './influxql.js';
import { qualityOfCode } from './schema.js';

/** The JSON /query answers (1.x): a top-level error, or one result per statement. */
export interface QueryBody {
  error?: string;
  results?: { error?: string; partial?: boolean; series?: Series[] }[];
}
interface Series {
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
  partial?: boolean;
}

/** The body of a 2xx /query answer; a statement error in it becomes a StoreError. */
export function parseQueryAnswer(text: string): QueryBody {
  const body = parseJson(text);
  const error = body.error ?? body.results?.[0]?.error;
  if (error !== undefined) throw statementError(error);
  return body;
}

/** Points of a SELECT over SELECTED_COLUMNS, ascending by time (series are merged if the server split them). */
export function pointsOf(body: QueryBody): TelemetryPoint[] {
  const series = completeSeries(body);
  const points = series.flatMap(pointsOfSeries);
  if (series.length > 1) points.sort((a, b) => a.ts - b.ts);
  return points;
}

/**
 * Points of an aggregate SELECT (time, value, count, and the tags as columns or as the series' tags), ascending by
 * time then series; rows without a value (an empty bucket) are skipped.
 */
export function aggregatePointsOf(body: QueryBody): AggregatePoint[] {
  const points: AggregatePoint[] = [];
  for (const series of completeSeries(body)) {
    const cell = cellReader(series);
    for (const row of series.values ?? []) {
      const ts = cell(row, 'time');
      const value = cell(row, 'value');
      const count = cell(row, 'count');
      if (typeof ts !== 'number' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      points.push({ ts, ...tagsOf(cell, row), value, count: typeof count === 'number' ? count : 0 });
    }
  }
  return points.sort(bySeriesTime);
}

/** Points of the latest-per-series SELECT (time, value, q, tags in the series), ordered by series. */
export function latestPointsOf(body: QueryBody): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  for (const series of completeSeries(body)) {
    const cell = cellReader(series);
    const row = series.values?.[0];
    const ts = row && cell(row, 'time');
    const value = row && cell(row, 'value');
    if (!row || typeof ts !== 'number' || typeof value !== 'number') continue;
    points.push({ ts, ...tagsOf(cell, row), value, quality: qualityOfCode(cell(row, 'q')) });
  }
  return points.sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)));
}

type CellReader = (row: unknown[], column: string) => unknown;

/** Reads a column of a row, falling back to the series' tags (GROUP BY tags moves them there). */
function cellReader(series: Series): CellReader {
  const columns = series.columns ?? [];
  const index = new Map(columns.map((c, i) => [c, i]));
  return (row, column) => {
    const i = index.get(column);
    return i === undefined ? series.tags?.[column] : row[i];
  };
}

function tagsOf(cell: CellReader, row: unknown[]): Pick<TelemetryPoint, 'site' | 'gateway' | 'sensor' | 'metric'> {
  const text = (column: string) => {
    const v = cell(row, column);
    return typeof v === 'string' ? v : '';
  };
  return { site: text('site'), gateway: text('gateway'), sensor: text('sensor'), metric: text('metric') };
}

function seriesKey(p: Pick<TelemetryPoint, 'site' | 'gateway' | 'sensor' | 'metric'>): string {
  return `${p.site}\u0000${p.gateway}\u0000${p.sensor}\u0000${p.metric}`;
}

function bySeriesTime(a: AggregatePoint, b: AggregatePoint): number {
  return a.ts - b.ts || seriesKey(a).localeCompare(seriesKey(b));
}

/** The first statement's series, refusing a result the server truncated. */
function completeSeries(body: QueryBody): Series[] {
  const result = body.results?.[0];
  if (result?.partial || result?.series?.some((s) => s.partial)) {
    const message = 'InfluxDB query: the server truncated the result (max-row-limit); ask for fewer points';
    throw storeError(StoreErrorCode.BAD_QUERY, message);
  }
  return result?.series ?? [];
}

function pointsOfSeries(series: Series): TelemetryPoint[] {
  const columns = series.columns ?? [];
  const at = (name: string) => columns.indexOf(name);
  const [time, value, q, gateway, metric, sensor, site] = ['time', ...SELECTED_COLUMNS].map(at);
  const text = (row: unknown[], i: number | undefined) => {
    const cell = i === undefined ? undefined : row[i];
    return typeof cell === 'string' ? cell : '';
  };
  const points: TelemetryPoint[] = [];
  for (const row of series.values ?? []) {
    const ts = row[time ?? -1];
    const v = row[value ?? -1];
    if (typeof ts !== 'number' || typeof v !== 'number') continue; // not a reading (no value)
    const quality = qualityOfCode(row[q ?? -1]);
    points.push({
      ts,
      site: text(row, site),
      gateway: text(row, gateway),
      sensor: text(row, sensor),
      metric: text(row, metric),
      value: v,
      quality,
    });
  }
  return points;
}

function statementError(error: string): Error {
  // A missing database or policy is the store's state, not the query's fault: init() (or an operator) fixes it.
  const code = /not found/.test(error) ? StoreErrorCode.UNAVAILABLE : StoreErrorCode.BAD_QUERY;
  return storeError(code, `InfluxDB query: ${error}`);
}

function parseJson(text: string): QueryBody {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) return body;
  } catch {
    // reported below
  }
  const quoted = errorText({ headers: new Headers(), text });
  throw storeError(StoreErrorCode.UNAVAILABLE, `InfluxDB query: unexpected answer: ${quoted}`);
}
