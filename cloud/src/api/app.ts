import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Registry } from '../registry/registry.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import type { Ingest } from '../ingest/ingest.js';
import { requireBearer } from './auth.js';
import { installErrorHandler } from './errors.js';
import { healthRoutes } from './health.js';
import { telemetryRoutes } from './telemetry.js';
import { gatewayRoutes } from './gateways.js';

export interface ApiDeps {
  registry: Registry;
  store: TelemetryStore;
  ingest: Pick<Ingest, 'stats' | 'status'>;
  log: FastifyBaseLogger;
  version: string;
}

/** The HTTP API: one plugin per domain, dependencies passed as options. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 1024 * 1024,
    // Per-request logs would drown the rest at IOC polling rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandler(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'IOC Telemetry API', version: deps.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const auth = requireBearer((token) => deps.registry.verifyApiToken(token));

  await app.register(healthRoutes, {
    version: deps.version,
    components: {
      influxdb: async () => {
        const p = await deps.store.ping();
        return { ok: p.ok, latencyMs: p.latencyMs, ...(p.version ? { detail: `InfluxDB ${p.version}` } : {}) };
      },
      mqtt: () => Promise.resolve({ ok: deps.ingest.stats().connected, detail: 'ingest subscription' }),
      registry: () => Promise.resolve({ ok: deps.registry.ping() }),
    },
  });
  await app.register(telemetryRoutes, { store: deps.store, auth });
  await app.register(gatewayRoutes, {
    auth,
    provisioned: () => deps.registry.listGateways(),
    status: () => deps.ingest.status.list(),
  });
  return app;
}
