import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, READERS } from './auth.js';
import { ErrorBody } from './errors.js';
import { CameraBody, CameraView, Id, IdParams, Outcome, SensorBody, SensorView } from './schemas.js';
import type { RegistryRoutesOptions } from './sites.js';

const SensorParams = Type.Object({ id: Id, sensor: Id });

/** Sensors (of a gateway) and cameras (of a site): everyone reads, technicians provision, admins delete. */
export const equipmentRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (fastify, { registry, guard }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['registry'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/sensors', {
    preHandler: guard(...READERS),
    schema: {
      tags, security, querystring: Type.Object({ site: Type.Optional(Id), gateway: Type.Optional(Id) }, { additionalProperties: false }),
      response: { 200: Type.Object({ sensors: Type.Array(SensorView) }) },
    },
  }, async (req) => ({ sensors: registry.listSensors({ ...(req.query.site ? { site: req.query.site } : {}), ...(req.query.gateway ? { gateway: req.query.gateway } : {}) }) }));

  app.put('/api/v1/gateways/:id/sensors/:sensor', {
    preHandler: guard('technician'),
    schema: {
      tags, security, summary: 'Create or update a sensor of a gateway (idempotent)', params: SensorParams, body: Type.Omit(SensorBody, ['id']),
      response: { 200: Type.Object({ sensor: SensorView, outcome: Outcome }), 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => registry.upsertSensor({ ...req.body, gateway: req.params.id, id: req.params.sensor }, actorOf(req)));

  app.delete('/api/v1/gateways/:id/sensors/:sensor', {
    preHandler: guard(),
    schema: { tags, security, params: SensorParams, response: { 204: Type.Null(), 404: ErrorBody } },
  }, async (req, reply) => {
    registry.deleteSensor(req.params.id, req.params.sensor, actorOf(req));
    return reply.code(204).send(null);
  });

  app.get('/api/v1/cameras', {
    preHandler: guard(...READERS),
    schema: {
      tags, security, querystring: Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false }),
      response: { 200: Type.Object({ cameras: Type.Array(CameraView) }) },
    },
  }, async (req) => ({ cameras: registry.listCameras(req.query.site ? { site: req.query.site } : {}) }));

  app.put('/api/v1/cameras/:id', {
    preHandler: guard('technician'),
    schema: {
      tags, security, summary: 'Create or update a camera (idempotent)', params: IdParams, body: Type.Omit(CameraBody, ['id']),
      response: { 200: Type.Object({ camera: CameraView, outcome: Outcome }), 400: ErrorBody, 404: ErrorBody },
    },
  }, async (req) => registry.upsertCamera({ ...req.body, id: req.params.id }, actorOf(req)));

  app.delete('/api/v1/cameras/:id', {
    preHandler: guard(),
    schema: { tags, security, params: IdParams, response: { 204: Type.Null(), 404: ErrorBody } },
  }, async (req, reply) => {
    registry.deleteCamera(req.params.id, actorOf(req));
    return reply.code(204).send(null);
  });
};
