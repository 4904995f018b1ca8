import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GatewayStatus } from '../ingest/gateway-status.js';
import { ErrorBody } from './errors.js';

export interface GatewayRoutesOptions {
  auth: preHandlerAsyncHookHandler;
  /** Provisioned gateways, from the registry. */
  provisioned: () => { id: string; site: string; revokedAt: number | null }[];
  /** What ingest has seen of each gateway. */
  status: () => GatewayStatus[];
}

const GatewayView = Type.Object({
  site: Type.String(),
  gateway: Type.String(),
  provisioned: Type.Boolean(),
  revoked: Type.Boolean(),
  online: Type.Boolean(),
  lastSeen: Type.Union([Type.String(), Type.Null()], { description: 'ISO 8601, null if never seen' }),
  agentVersion: Type.Optional(Type.String()),
});

/** GET /api/v1/gateways — each provisioned gateway with its liveness (online/offline from its state topic). */
export const gatewayRoutes: FastifyPluginAsync<GatewayRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/gateways',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['registry'],
        summary: 'Gateways and whether they are online',
        security: [{ bearer: [] }],
        response: { 200: Type.Object({ gateways: Type.Array(GatewayView) }), 401: ErrorBody },
      },
    },
    async () => {
      const seen = new Map(opts.status().map((s) => [`${s.site}/${s.gateway}`, s]));
      const rows = opts.provisioned().map((g) => {
        const s = seen.get(`${g.site}/${g.id}`);
        seen.delete(`${g.site}/${g.id}`);
        return {
          site: g.site,
          gateway: g.id,
          provisioned: true,
          revoked: g.revokedAt !== null,
          online: s?.online ?? false,
          lastSeen: s ? new Date(s.lastSeen).toISOString() : null,
          ...(s?.agentVersion ? { agentVersion: s.agentVersion } : {}),
        };
      });
      return { gateways: rows };
    },
  );
};
