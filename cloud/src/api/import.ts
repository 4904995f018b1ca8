import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { importStations } from '../registry/import/stations.js';
import { actorOf } from './auth.js';
import { ErrorBody } from './errors.js';
import type { RegistryRoutesOptions } from './sites.js';

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });
const Report = Type.Object({
  dryRun: Type.Boolean(),
  rows: Type.Integer(),
  sites: Counts,
  gateways: Type.Object({ created: Type.Integer(), existing: Type.Integer() }),
  sensors: Counts,
  errors: Type.Array(Type.Object({ line: Type.Integer(), column: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
  newGateways: Type.Array(Type.Object({
    site: Type.String(),
    id: Type.String(),
    secret: Type.Optional(Type.String({ description: "the new gateway's MQTT password: in this response only" })),
    sensors: Type.Array(Type.Object({ id: Type.String(), driver: Type.String(), port: Type.Union([Type.String(), Type.Null()]), metrics: Type.Array(Type.String()) })),
  })),
});

/** POST /api/v1/import/stations — the CSV bulk import, all rows or none (same as `ioc provision import`). */
export const importRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (fastify, { registry, guard }) => {
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  fastify.withTypeProvider<TypeBoxTypeProvider>().post('/api/v1/import/stations', {
    preHandler: guard('technician'),
    schema: {
      tags: ['registry'],
      summary: "Bulk import of a district's sites, gateways and sensors (text/csv)",
      security: [{ bearer: [] }],
      querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
      body: Type.String({ description: 'stations.csv: header site,gateway[,site_name_vi,…]' }),
      response: { 200: Report, 422: Report, 401: ErrorBody, 403: ErrorBody },
    },
  }, async (req, reply) => {
    const report = await importStations(registry, req.body, { dryRun: req.query.dryRun ?? false, actor: actorOf(req) });
    return reply.code(report.errors.length > 0 ? 422 : 200).send(report);
  });
};
