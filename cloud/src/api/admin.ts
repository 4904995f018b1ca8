import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from './auth.js';
import { ErrorBody } from './errors.js';
import { Millis, Nullable } from './schemas.js';
import type { RegistryRoutesOptions } from './sites.js';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('technician'), Type.Literal('officer'), Type.Literal('viewer')]);
const TokenView = Type.Object({ id: Type.String(), name: Type.String(), role: Role, createdAt: Millis, revokedAt: Nullable(Millis) });

/** API tokens and the audit log: admins only. */
export const adminRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (fastify, { registry, guard }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['admin'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/tokens', {
    preHandler: guard(),
    schema: { tags, security, summary: 'API tokens (never the tokens themselves)', response: { 200: Type.Object({ tokens: Type.Array(TokenView) }), 403: ErrorBody } },
  }, async () => ({ tokens: registry.listApiTokens() }));

  app.post('/api/v1/tokens', {
    preHandler: guard(),
    schema: {
      tags, security, summary: 'Issue a token: it is in this response only',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Role }, { additionalProperties: false }),
      response: { 201: Type.Object({ token: Type.String(), name: Type.String(), role: Role }), 403: ErrorBody },
    },
  }, async (req, reply) => reply.code(201).send({ token: registry.issueApiToken(req.body.name, req.body.role, actorOf(req)), name: req.body.name, role: req.body.role }));

  app.delete('/api/v1/tokens/:id', {
    preHandler: guard(),
    schema: { tags, security, params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: { 204: Type.Null(), 404: ErrorBody } },
  }, async (req, reply) => {
    registry.revokeApiToken(req.params.id, actorOf(req));
    return reply.code(204).send(null);
  });

  app.get('/api/v1/audit', {
    preHandler: guard(),
    schema: {
      tags, security, summary: 'Who changed what, when (newest first)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          entries: Type.Array(Type.Object({ seq: Type.Integer(), ts: Millis, actor: Type.String(), action: Type.String(), subject: Type.String(), detail: Nullable(Type.String()) })),
        }),
      },
    },
  }, async (req) => ({ entries: registry.auditLog(req.query.limit ?? 100) }));
};
