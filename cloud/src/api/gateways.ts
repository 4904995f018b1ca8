import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from '../registry/registry.js';
import type { GatewayStatus } from '../ingest/gateway-status.js';
import { actorOf, READERS, type RoleGuard } from './auth.js';
import { ErrorBody } from './errors.js';
import { Credentials, Id, IdParams, Millis, Nullable } from './schemas.js';

/** Publishes a gateway's config, retained, on ioc/v1/{site}/{gateway}/config. */
export interface ConfigPublisher {
  publish(site: string, gateway: string, body: Record<string, unknown>): Promise<void>;
}

export interface GatewayRoutesOptions {
  guard: RoleGuard;
  registry: Registry;
  /** What ingest has seen of each gateway (state messages, telemetry). */
  status: () => GatewayStatus[];
  /** The broker address handed to gateways with their credentials. */
  mqttUrl: string;
  configPublisher?: ConfigPublisher;
}

const GatewayView = Type.Object({
  site: Type.String(),
  gateway: Type.String(),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  revoked: Type.Boolean(),
  online: Type.Boolean(),
  lastSeen: Nullable(Type.String({ description: 'ISO 8601, null if never seen' })),
  agentVersion: Type.Optional(Type.String()),
  clockSkewMs: Type.Optional(Type.Number()),
  outboxPending: Type.Optional(Type.Integer()),
  outboxDropped: Type.Optional(Type.Integer()),
  config: Nullable(Type.Object({ version: Type.Integer(), pushedAt: Millis, acked: Type.Boolean(), ok: Nullable(Type.Boolean()), error: Nullable(Type.String()) })),
});

const CreateBody = Type.Object({
  site: Id,
  id: Id,
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

const ConfigBody = Type.Object({
  inputs: Type.Array(Type.Object({ driver: Type.String(), id: Id }, { additionalProperties: true }), { minItems: 1, maxItems: 256 }),
}, { additionalProperties: true, description: 'The edge config to apply (inputs, and optionally uplink settings); the version is assigned by the cloud.' });

/** Numbers the status board may carry, when the gateway reports them. */
function optionalStatus(s: GatewayStatus | undefined): Record<string, number | string> {
  const extra = (s ?? {}) as GatewayStatus & { clockSkewMs?: number; outboxPending?: number; outboxDropped?: number };
  const out: Record<string, number | string> = {};
  if (extra.agentVersion) out.agentVersion = extra.agentVersion;
  if (typeof extra.clockSkewMs === 'number') out.clockSkewMs = extra.clockSkewMs;
  if (typeof extra.outboxPending === 'number') out.outboxPending = extra.outboxPending;
  if (typeof extra.outboxDropped === 'number') out.outboxDropped = extra.outboxDropped;
  return out;
}

/** Gateways: provisioning (technician), liveness (everyone), credentials and config pushes. */
export const gatewayRoutes: FastifyPluginAsync<GatewayRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry, guard } = opts;

  const view = (id: string) => {
    const g = registry.getGateway(id)!;
    const s = opts.status().find((x) => x.site === g.site && x.gateway === g.id);
    const cfg = registry.latestConfig(g.id);
    return {
      site: g.site, gateway: g.id, name: g.name, description: g.description, revoked: g.revokedAt !== null,
      online: s?.online ?? false,
      lastSeen: s ? new Date(s.lastSeen).toISOString() : null,
      ...optionalStatus(s),
      config: cfg ? { version: cfg.version, pushedAt: cfg.pushedAt, acked: cfg.ackedAt !== null, ok: cfg.ackOk, error: cfg.ackError } : null,
    };
  };
  const credentials = (id: string, password: string) => ({ url: opts.mqttUrl, username: id, clientId: id, password });

  app.get('/api/v1/gateways', {
    preHandler: guard(...READERS),
    schema: {
      tags: ['registry'], summary: 'Gateways with their liveness, outbox and last config', security: [{ bearer: [] }],
      querystring: Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false }),
      response: { 200: Type.Object({ gateways: Type.Array(GatewayView) }), 401: ErrorBody },
    },
  }, async (req) => ({ gateways: registry.listGateways(req.query.site ? { site: req.query.site } : {}).map((g) => view(g.id)) }));

  app.get('/api/v1/gateways/:id', {
    preHandler: guard(...READERS),
    schema: { tags: ['registry'], security: [{ bearer: [] }], params: IdParams, response: { 200: GatewayView, 404: ErrorBody } },
  }, async (req, reply) => (registry.getGateway(req.params.id) ? view(req.params.id) : reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `gateway ${req.params.id} does not exist` })));

  app.post('/api/v1/gateways', {
    preHandler: guard('technician'),
    schema: {
      tags: ['registry'], summary: 'Provision a gateway: its MQTT password is in this response only', security: [{ bearer: [] }],
      body: CreateBody, response: { 201: Type.Object({ gateway: GatewayView, mqtt: Credentials }), 404: ErrorBody, 409: ErrorBody },
    },
  }, async (req, reply) => {
    const { secret } = await registry.createGateway(req.body.site, req.body.id, actorOf(req), {
      ...(req.body.name !== undefined ? { name: req.body.name } : {}),
      ...(req.body.description !== undefined ? { description: req.body.description } : {}),
    });
    return reply.code(201).send({ gateway: view(req.body.id), mqtt: credentials(req.body.id, secret) });
  });

  app.post('/api/v1/gateways/:id/rotate', {
    preHandler: guard('technician'),
    schema: { tags: ['registry'], summary: 'Issue a new MQTT password; the old one stops working', security: [{ bearer: [] }], params: IdParams, response: { 200: Type.Object({ mqtt: Credentials }), 404: ErrorBody } },
  }, async (req) => ({ mqtt: credentials(req.params.id, (await registry.rotateGatewaySecret(req.params.id, actorOf(req))).secret) }));

  app.post('/api/v1/gateways/:id/revoke', {
    preHandler: guard(),
    schema: { tags: ['registry'], summary: 'Revoke a gateway: the broker refuses and disconnects it', security: [{ bearer: [] }], params: IdParams, response: { 200: GatewayView, 404: ErrorBody } },
  }, async (req) => {
    registry.revokeGateway(req.params.id, actorOf(req));
    return view(req.params.id);
  });

  app.delete('/api/v1/gateways/:id', {
    preHandler: guard(),
    schema: { tags: ['registry'], security: [{ bearer: [] }], params: IdParams, response: { 204: Type.Null(), 404: ErrorBody } },
  }, async (req, reply) => {
    registry.deleteGateway(req.params.id, actorOf(req));
    return reply.code(204).send(null);
  });

  app.put('/api/v1/gateways/:id/config', {
    preHandler: guard('technician'),
    schema: {
      tags: ['registry'], summary: 'Push a config to a gateway (retained on its config topic); the gateway acks it', security: [{ bearer: [] }],
      params: IdParams, body: ConfigBody, response: { 202: GatewayView, 404: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const gw = registry.getGateway(req.params.id);
    if (!gw) return reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `gateway ${req.params.id} does not exist` });
    if (!opts.configPublisher) return reply.code(503).send({ code: 'IOC_ERR_UNAVAILABLE', message: 'no MQTT connection to push configs' });
    const record = registry.recordConfigPush(gw.id, req.body, actorOf(req));
    await opts.configPublisher.publish(gw.site, gw.id, record.body as Record<string, unknown>);
    return reply.code(202).send(view(gw.id));
  });
};
