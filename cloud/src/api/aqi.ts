import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from '../registry/registry.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { hourOf, siteHourlyAqi, type SiteAqiHour } from '../site-aqi/site-aqi.js';
import { READERS, type RoleGuard } from './auth.js';
import { badRequest, ErrorBody } from './errors.js';
import { Id, Nullable } from './schemas.js';
import { parseInstant } from './telemetry.js';

export interface AqiRoutesOptions {
  guard: RoleGuard;
  store: TelemetryStore;
  registry: Registry;
  now?: () => number;
}

const HOUR = 3_600_000;
const MAX_HOURS = 24 * 31;
const SubIndices = Type.Object({ pm25: Nullable(Type.Integer()), pm10: Nullable(Type.Integer()), o3: Nullable(Type.Integer()), no2: Nullable(Type.Integer()), so2: Nullable(Type.Integer()), co: Nullable(Type.Integer()) });
const Hour = Type.Object({
  hour: Type.String({ description: 'start of the hour, ISO 8601 UTC' }),
  aqi: Nullable(Type.Integer({ description: 'VN_AQI (QĐ 1459/QĐ-TCMT), null when PM data is insufficient' })),
  category: Nullable(Type.Object({ level: Type.Integer(), key: Type.String(), vi: Type.String(), en: Type.String(), hex: Type.String() })),
  dominant: Nullable(Type.String()),
  subIndices: SubIndices,
  nowCast: Type.Object({ pm25: Nullable(Type.Number()), pm10: Nullable(Type.Number()) }),
  means: Type.Record(Type.String(), Type.Number(), { description: 'hourly means of the hour, µg/m³' }),
});

const view = (h: SiteAqiHour) => ({
  hour: new Date(h.hour).toISOString(),
  aqi: h.aqi,
  category: h.category && { level: h.category.level, key: h.category.key, vi: h.category.vi, en: h.category.en, hex: h.category.hex },
  dominant: h.dominant,
  subIndices: h.subIndices,
  nowCast: h.nowCast,
  means: h.means,
});

/** GET /api/v1/aqi — each site's hourly VN_AQI: the last complete hour, and the hours of [from, to) on request. */
export const aqiRoutes: FastifyPluginAsync<AqiRoutesOptions> = async (fastify, opts) => {
  const now = opts.now ?? Date.now;
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/api/v1/aqi', {
    preHandler: opts.guard(...READERS),
    schema: {
      tags: ['telemetry'],
      summary: 'Hourly VN_AQI per site (current = the last complete hour), with category names and official colours',
      security: [{ bearer: [] }],
      querystring: Type.Object({
        site: Type.Optional(Id),
        from: Type.Optional(Type.String({ maxLength: 40 })),
        to: Type.Optional(Type.String({ maxLength: 40 })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({ sites: Type.Array(Type.Object({ site: Type.String(), current: Hour, history: Type.Array(Hour) })) }),
        400: ErrorBody, 404: ErrorBody,
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    if (q.site && !opts.registry.getSite(q.site)) return reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `site ${q.site} does not exist` });
    const last = hourOf(now()) - HOUR;
    const withHistory = q.from !== undefined || q.to !== undefined;
    const to = withHistory ? hourOf(parseInstant('to', q.to, now()) - 1) : last;
    const from = withHistory ? hourOf(parseInstant('from', q.from, to - 23 * HOUR)) : last;
    if (from > to) throw badRequest('querystring.from', 'must be before to');
    if ((to - from) / HOUR + 1 > MAX_HOURS) throw badRequest('querystring.from', `at most ${MAX_HOURS} hours per request`);
    const sites = q.site ? [q.site] : opts.registry.listSites().map((s) => s.id);
    const out = await Promise.all(sites.map(async (site) => {
      const hours = await siteHourlyAqi(opts.store, site, Math.min(from, last), Math.max(to, last));
      const current = hours.find((h) => h.hour === last)!;
      return { site, current: view(current), history: withHistory ? hours.filter((h) => h.hour >= from && h.hour <= to).map(view) : [] };
    }));
    return { sites: out };
  });
};
