import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from '../registry/registry.js';
import { actorOf, READERS, type RoleGuard } from './auth.js';
import { ErrorBody } from './errors.js';
import { IdParams, Outcome, SiteBody, SiteView } from './schemas.js';

export interface RegistryRoutesOptions {
  guard: RoleGuard;
  registry: Registry;
}

/** Sites: everyone reads, technicians create and edit, admins delete. */
export const siteRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (fastify, { registry, guard }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['registry'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/sites', {
    preHandler: guard(...READERS),
    schema: { tags, security, response: { 200: Type.Object({ sites: Type.Array(SiteView) }), 401: ErrorBody } },
  }, async () => ({ sites: registry.listSites() }));

  app.get('/api/v1/sites/:id', {
    preHandler: guard(...READERS),
    schema: { tags, security, params: IdParams, response: { 200: SiteView, 404: ErrorBody } },
  }, async (req, reply) => registry.getSite(req.params.id) ?? reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `site ${req.params.id} does not exist` }));

  app.put('/api/v1/sites/:id', {
    preHandler: guard('technician'),
    schema: {
      tags, security, summary: 'Create or update a site (idempotent)', params: IdParams, body: Type.Omit(SiteBody, ['id']),
      response: { 200: Type.Object({ site: SiteView, outcome: Outcome }), 400: ErrorBody },
    },
  }, async (req) => registry.upsertSite({ ...req.body, id: req.params.id }, actorOf(req)));

  app.delete('/api/v1/sites/:id', {
    preHandler: guard(),
    schema: { tags, security, summary: 'Delete a site without gateways or cameras', params: IdParams, response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody } },
  }, async (req, reply) => {
    registry.deleteSite(req.params.id, actorOf(req));
    return reply.code(204).send(null);
  });
};
