import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Registry } from '../registry/registry.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import type { Ingest } from '../ingest/ingest.js';
import rateLimit from '@fastify/rate-limit';
import { createHash } from 'node:crypto';
import { requireBearer, roleGuard } from './auth.js';
import { installErrorHandler } from './errors.js';
import { healthRoutes } from './health.js';
import { telemetryRoutes } from './telemetry.js';
import { deadLetterRoutes } from './deadletters.js';
import type { DeadLetterStore } from '../deadletter/dead-letter-store.js';
import { gatewayRoutes, type ConfigPublisher } from './gateways.js';
import { siteRoutes } from './sites.js';
import { equipmentRoutes } from './equipment.js';
import { adminRoutes } from './admin.js';
import { importRoutes } from './import.js';
import { aqiRoutes } from './aqi.js';
import { uptimeRoutes } from './uptime.js';
import { alertRoutes } from './alerts.js';
import { webhookRoutes } from './webhooks.js';
import { ruleRoutes, type RuleAdmin } from './rules.js';
import type { AlertHub } from '../alerts/hub.js';
import type { AlertActions } from '../alerts/actions.js';
import type { WebhookDispatcher } from '../alerts/webhooks.js';

export interface ApiDeps {
  registry: Registry;
  store: TelemetryStore;
  ingest: Pick<Ingest, 'stats' | 'status'>;
  /** Messages ingest refused; GET /api/v1/deadletters is served when given. */
  deadLetters?: DeadLetterStore;
  log: FastifyBaseLogger;
  version: string;
  /** The broker address handed to gateways with their credentials. */
  mqttUrl: string;
  configPublisher?: ConfigPublisher;
  /** The alert side: present once the rules engine runs. */
  alerts?: { hub: AlertHub; actions: AlertActions; webhooks: WebhookDispatcher; rules?: RuleAdmin };
  /** Requests per minute per bearer token (or per address without one). Default 1200. */
  rateLimitPerMinute?: number;
}

/** Rate-limit key: the token's digest (never the token itself), else the client address. */
function rateKey(req: { headers: { authorization?: string | undefined }; ip: string }): string {
  const m = req.headers.authorization ? /^Bearer\s+(\S+)$/i.exec(req.headers.authorization) : null;
  return m?.[1] ? `t:${createHash('sha256').update(m[1]).digest('hex').slice(0, 16)}` : `ip:${req.ip}`;
}

/** The HTTP API: one plugin per domain, dependencies passed as options. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 1024 * 1024,
    // Unknown fields are refused, not silently dropped: a client sending `secret` must learn it is not used.
    ajv: { customOptions: { removeAdditional: false } },
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
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 1200,
    timeWindow: 60_000,
    keyGenerator: rateKey,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: 'IOC_ERR_RATE_LIMITED',
      message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });
  const verify = (token: string) => deps.registry.verifyApiToken(token);
  const auth = requireBearer(verify);
  const guard = roleGuard(verify);

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
  if (deps.deadLetters) await app.register(deadLetterRoutes, { deadLetters: deps.deadLetters, auth: guard('technician') });
  await app.register(gatewayRoutes, {
    guard,
    registry: deps.registry,
    status: () => deps.ingest.status.list(),
    mqttUrl: deps.mqttUrl,
    ...(deps.configPublisher ? { configPublisher: deps.configPublisher } : {}),
  });
  await app.register(siteRoutes, { guard, registry: deps.registry });
  await app.register(equipmentRoutes, { guard, registry: deps.registry });
  await app.register(adminRoutes, { guard, registry: deps.registry });
  await app.register(importRoutes, { guard, registry: deps.registry });
  await app.register(aqiRoutes, { guard, store: deps.store, registry: deps.registry });
  await app.register(uptimeRoutes, { guard, store: deps.store, registry: deps.registry });
  if (deps.alerts) {
    await app.register(alertRoutes, { guard, hub: deps.alerts.hub, actions: deps.alerts.actions });
    await app.register(webhookRoutes, { guard, webhooks: deps.alerts.webhooks });
    if (deps.alerts.rules) await app.register(ruleRoutes, { guard, admin: deps.alerts.rules });
  }
  return app;
}
