import type { TelemetryPoint } from '../telemetry-store.js';
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
  const result = body.results?.[0];
  if (result?.partial || result?.series?.some((s) => s.partial)) {
    const message = 'InfluxDB query: the server truncated the result (max-row-limit); ask for fewer points';
    throw storeError(StoreErrorCode.BAD_QUERY, message);
  }
  const series = result?.series ?? [];
  const points = series.flatMap(pointsOfSeries);
  if (series.length > 1) points.sort((a, b) => a.ts - b.ts);
  return points;
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
