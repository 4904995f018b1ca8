import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from '../registry/registry.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { READERS, type RoleGuard } from './auth.js';
import { badRequest, ErrorBody } from './errors.js';
import { Id, Nullable } from './schemas.js';
import { parseInstant } from './telemetry.js';

export interface UptimeRoutesOptions {
  guard: RoleGuard;
  store: TelemetryStore;
  registry: Registry;
  now?: () => number;
}

const DAY = 86_400_000;

/**
 * GET /api/v1/cameras/:id/uptime — the share of heartbeats that found the camera online over [from, to)
 * (default the last 24 h), from the `camera_online` readings its gateway reports (1 online, 0 offline).
 */
export const uptimeRoutes: FastifyPluginAsync<UptimeRoutesOptions> = async (fastify, opts) => {
  const now = opts.now ?? Date.now;
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/api/v1/cameras/:id/uptime', {
    preHandler: opts.guard(...READERS),
    schema: {
      tags: ['registry'],
      summary: "A camera's uptime over a period (default the last 24 h)",
      security: [{ bearer: [] }],
      params: Type.Object({ id: Id }),
      querystring: Type.Object({ from: Type.Optional(Type.String({ maxLength: 40 })), to: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          camera: Type.String(), site: Type.String(), from: Type.String(), to: Type.String(),
          uptime: Nullable(Type.Number({ description: 'fraction 0–1 of heartbeats online; null without any heartbeat' })),
          heartbeats: Type.Integer(),
          hours: Type.Array(Type.Object({ hour: Type.String(), uptime: Type.Number(), heartbeats: Type.Integer() })),
        }),
        400: ErrorBody, 404: ErrorBody,
      },
    },
  }, async (req, reply) => {
    const camera = opts.registry.getCamera(req.params.id);
    if (!camera) return reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `camera ${req.params.id} does not exist` });
    const to = parseInstant('to', req.query.to, now());
    const from = parseInstant('from', req.query.from, to - DAY);
    if (from >= to) throw badRequest('querystring.from', 'must be before to');
    if (to - from > 366 * DAY) throw badRequest('querystring.from', 'at most a year per request');
    const points = await opts.store.aggregate({
      site: camera.site, sensor: camera.id, metric: 'camera_online', from, to, every: '1h', fn: 'mean', limit: 100_000,
      ...(camera.gateway ? { gateway: camera.gateway } : {}),
    });
    const heartbeats = points.reduce((n, p) => n + p.count, 0);
    const online = points.reduce((n, p) => n + p.value * p.count, 0);
    return {
      camera: camera.id, site: camera.site, from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      uptime: heartbeats > 0 ? online / heartbeats : null,
      heartbeats,
      hours: points.map((p) => ({ hour: new Date(p.ts).toISOString(), uptime: p.value, heartbeats: p.count })),
    };
  });
};
