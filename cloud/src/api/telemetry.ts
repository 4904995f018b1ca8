import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { isStoreError, StoreErrorCode } from '../store/errors.js';
import { badRequest, ErrorBody } from './errors.js';

export interface TelemetryRoutesOptions {
  store: TelemetryStore;
  auth: preHandlerAsyncHookHandler;
  now?: () => number;
}

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const Instant = Type.String({ description: 'ISO 8601 time (2025-11-25T10:00:00Z) or epoch milliseconds', maxLength: 40 });
const Quality = Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]);

const Query = Type.Object(
  {
    site: Type.Optional(Id),
    gateway: Type.Optional(Id),
    sensor: Type.Optional(Id),
    metric: Type.Optional(Id),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    every: Type.Optional(
      Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')], {
        description: 'Aggregate into buckets of one minute, hour or UTC day (from the rollups); raw readings without it',
      }),
    ),
    fn: Type.Optional(
      Type.Union([Type.Literal('mean'), Type.Literal('max'), Type.Literal('min')], {
        description: 'With every: the bucket value; default mean. Readings of quality bad are left out of aggregates',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 })),
  },
  { additionalProperties: false },
);

const Point = Type.Object({
  ts: Type.Integer({ description: 'time of measurement (aggregates: start of the bucket), epoch ms UTC' }),
  time: Type.String({ description: 'the same instant, ISO 8601 UTC' }),
  site: Type.String(),
  gateway: Type.String(),
  sensor: Type.String(),
  metric: Type.String(),
  value: Type.Number(),
  quality: Type.Optional(Quality),
  count: Type.Optional(Type.Integer({ description: 'aggregates: readings in the bucket (good and uncertain)' })),
});

const Body = Type.Object({
  from: Type.String(),
  to: Type.String(),
  every: Type.Optional(Type.String()),
  fn: Type.Optional(Type.String()),
  count: Type.Integer(),
  points: Type.Array(Point),
});

const LatestQuery = Type.Object(
  { site: Type.Optional(Id), gateway: Type.Optional(Id), sensor: Type.Optional(Id), metric: Type.Optional(Id) },
  { additionalProperties: false },
);

const LatestBody = Type.Object({
  count: Type.Integer(),
  points: Type.Array(
    Type.Object({
      ts: Type.Integer({ description: 'time of measurement, epoch ms UTC' }),
      time: Type.String(),
      site: Type.String(),
      gateway: Type.String(),
      sensor: Type.String(),
      metric: Type.String(),
      value: Type.Number(),
      quality: Quality,
    }),
  ),
});

const DEFAULT_WINDOW_MS = 60 * 60 * 1000;

/** Parses an ISO 8601 time or epoch milliseconds; a 400 naming the parameter otherwise. */
export function parseInstant(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw badRequest(`querystring.${name}`, `${JSON.stringify(raw)} is not an ISO 8601 time or epoch milliseconds`);
  return ms;
}

/** A store failure as an HTTP answer: 503 while the store is unreachable, 400 for a query it refused. */
function storeFailure(err: unknown): unknown {
  if (!isStoreError(err)) return err;
  const statusCode = err.code === StoreErrorCode.UNAVAILABLE ? 503 : err.code === StoreErrorCode.BAD_QUERY ? 400 : 500;
  return Object.assign(new Error(err.message), { statusCode, code: err.code });
}

function filtersOf(q: { site?: string; gateway?: string; sensor?: string; metric?: string }) {
  return {
    ...(q.site ? { site: q.site } : {}),
    ...(q.gateway ? { gateway: q.gateway } : {}),
    ...(q.sensor ? { sensor: q.sensor } : {}),
    ...(q.metric ? { metric: q.metric } : {}),
  };
}

/**
 * GET /api/v1/telemetry — readings in [from, to), oldest first (default the last hour); with `every`, aggregates
 * from the rollups. GET /api/v1/telemetry/latest — the latest reading of every matching sensor and metric.
 */
export const telemetryRoutes: FastifyPluginAsync<TelemetryRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/v1/telemetry',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['telemetry'],
        summary: 'Readings of a sensor and metric over a time window, raw or aggregated (every=1m|1h|1d, fn=mean|max|min)',
        security: [{ bearer: [] }],
        querystring: Query,
        response: { 200: Body, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const to = parseInstant('to', q.to, now());
      const from = parseInstant('from', q.from, to - DEFAULT_WINDOW_MS);
      if (from >= to) throw badRequest('querystring.from', 'must be before to');
      if (q.fn && !q.every) throw badRequest('querystring.fn', 'needs every (1m, 1h or 1d)');
      const window = { from, to, limit: q.limit ?? 10_000, ...filtersOf(q) };
      const head = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      try {
        if (q.every) {
          const fn = q.fn ?? 'mean';
          const points = await opts.store.aggregate({ ...window, every: q.every, fn });
          return { ...head, every: q.every, fn, count: points.length, points: points.map((p) => ({ ...p, time: new Date(p.ts).toISOString() })) };
        }
        const points = await opts.store.query(window);
        return { ...head, count: points.length, points: points.map((p) => ({ ...p, time: new Date(p.ts).toISOString() })) };
      } catch (err) {
        throw storeFailure(err);
      }
    },
  );
  api.get(
    '/api/v1/telemetry/latest',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['telemetry'],
        summary: 'The latest reading of every sensor and metric (within the raw retention), filtered by site and gateway',
        security: [{ bearer: [] }],
        querystring: LatestQuery,
        response: { 200: LatestBody, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => {
      try {
        const points = await opts.store.latest(filtersOf(req.query));
        return { count: points.length, points: points.map((p) => ({ ...p, time: new Date(p.ts).toISOString() })) };
      } catch (err) {
        throw storeFailure(err);
      }
    },
  );
};
