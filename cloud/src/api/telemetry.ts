import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { badRequest, ErrorBody } from './errors.js';

export interface TelemetryRoutesOptions {
  store: TelemetryStore;
  auth: preHandlerAsyncHookHandler;
  now?: () => number;
}

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const Instant = Type.String({ description: 'ISO 8601 time (2025-11-25T10:00:00Z) or epoch milliseconds', maxLength: 40 });

const Query = Type.Object(
  {
    site: Type.Optional(Id),
    gateway: Type.Optional(Id),
    sensor: Type.Optional(Id),
    metric: Type.Optional(Id),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 })),
  },
  { additionalProperties: false },
);

const Point = Type.Object({
  ts: Type.Integer({ description: 'time of measurement, epoch ms UTC' }),
  time: Type.String({ description: 'the same instant, ISO 8601 UTC' }),
  site: Type.String(),
  gateway: Type.String(),
  sensor: Type.String(),
  metric: Type.String(),
  value: Type.Number(),
  quality: Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]),
});

const Body = Type.Object({
  from: Type.String(),
  to: Type.String(),
  count: Type.Integer(),
  points: Type.Array(Point),
});

const DEFAULT_WINDOW_MS = 60 * 60 * 1000;

/** Parses an ISO 8601 time or epoch milliseconds; a 400 naming the parameter otherwise. */
export function parseInstant(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw badRequest(`querystring.${name}`, `${JSON.stringify(raw)} is not an ISO 8601 time or epoch milliseconds`);
  return ms;
}

/** GET /api/v1/telemetry — raw readings in [from, to), oldest first; default the last hour. */
export const telemetryRoutes: FastifyPluginAsync<TelemetryRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/telemetry',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['telemetry'],
        summary: 'Readings of a sensor and metric over a time window',
        security: [{ bearer: [] }],
        querystring: Query,
        response: { 200: Body, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const to = parseInstant('to', q.to, now());
      const from = parseInstant('from', q.from, to - DEFAULT_WINDOW_MS);
      if (from >= to) throw badRequest('querystring.from', 'must be before to');
      const points = await opts.store.query({
        from,
        to,
        limit: q.limit ?? 10_000,
        ...(q.site ? { site: q.site } : {}),
        ...(q.gateway ? { gateway: q.gateway } : {}),
        ...(q.sensor ? { sensor: q.sensor } : {}),
        ...(q.metric ? { metric: q.metric } : {}),
      });
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        count: points.length,
        points: points.map((p) => ({ ...p, time: new Date(p.ts).toISOString() })),
      };
    },
  );
};
