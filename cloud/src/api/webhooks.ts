import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebhookDispatcher } from '../alerts/webhooks.js';
import type { RoleGuard } from './auth.js';
import { ErrorBody } from './errors.js';
import { Millis, Nullable } from './schemas.js';

export interface WebhookRoutesOptions {
  guard: RoleGuard;
  webhooks: WebhookDispatcher;
}

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const SubscriberView = Type.Object({ id: Type.String(), url: Type.String(), minSeverity: Severity, active: Type.Boolean(), createdAt: Millis });
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Webhook subscribers (admins): the signing secret is returned once, at creation. */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (fastify, { guard, webhooks }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['alerts'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/webhooks', {
    preHandler: guard(),
    schema: { tags, security, response: { 200: Type.Object({ webhooks: Type.Array(SubscriberView), deliveries: Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() }) }) } },
  }, async () => ({ webhooks: webhooks.subscribers(), deliveries: webhooks.counts() }));

  app.post('/api/v1/webhooks', {
    preHandler: guard(),
    schema: {
      tags, security, summary: 'Subscribe a URL to alert transitions; bodies are signed with X-IOC-Signature (HMAC-SHA256)',
      body: Type.Object({ url: Type.String({ pattern: '^https?://', maxLength: 2000 }), minSeverity: Type.Optional(Severity) }, { additionalProperties: false }),
      response: { 201: Type.Object({ webhook: SubscriberView, secret: Type.String() }), 400: ErrorBody },
    },
  }, async (req, reply) => {
    const { subscriber, secret } = webhooks.addSubscriber(req.body.url, req.body.minSeverity ?? 'warning');
    return reply.code(201).send({ webhook: subscriber, secret });
  });

  app.delete('/api/v1/webhooks/:id', {
    preHandler: guard(),
    schema: { tags, security, params: Params, response: { 204: Type.Null(), 404: ErrorBody } },
  }, async (req, reply) => {
    if (!webhooks.removeSubscriber(req.params.id)) return reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `webhook ${req.params.id} does not exist` });
    return reply.code(204).send(null);
  });

  app.get('/api/v1/webhooks/:id/attempts', {
    preHandler: guard(),
    schema: {
      tags, security, summary: 'Delivery log: every attempt with its status', params: Params,
      response: { 200: Type.Object({ attempts: Type.Array(Type.Object({ eventId: Type.Integer(), subscriberId: Type.String(), attempt: Type.Integer(), at: Millis, status: Nullable(Type.Integer()), error: Nullable(Type.String()), durationMs: Type.Integer() })) }) },
    },
  }, async (req) => ({ attempts: webhooks.attempts({ subscriberId: req.params.id }) }));
};
