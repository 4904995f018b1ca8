import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

export type ComponentCheck = () => Promise<{ ok: boolean; detail?: string; latencyMs?: number }>;

export interface HealthOptions {
  version: string;
  /** Each component's check; a throwing or slow (> timeoutMs) check counts as down. */
  components: Record<string, ComponentCheck>;
  timeoutMs?: number;
}

const Component = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  detail: Type.Optional(Type.String()),
  latencyMs: Type.Optional(Type.Number()),
});
const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  components: Type.Record(Type.String(), Component),
});

async function runCheck(check: ComponentCheck, timeoutMs: number): Promise<{ status: 'up' | 'down'; detail?: string; latencyMs?: number }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const r = await Promise.race([check(), timeout]);
    return { status: r.ok ? 'up' : 'down', ...(r.detail ? { detail: r.detail } : {}), ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}) };
  } catch (err) {
    return { status: 'down', detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /api/v1/health — no auth; 200 when every component is up, 503 otherwise. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get(
    '/api/v1/health',
    { schema: { tags: ['health'], summary: 'Status of each component', response: { 200: HealthBody, 503: HealthBody } } },
    async (_req, reply) => {
      const names = Object.keys(opts.components);
      const results = await Promise.all(names.map((n) => runCheck(opts.components[n]!, opts.timeoutMs ?? 2000)));
      const components = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
      const ok = results.every((r) => r.status === 'up');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', version: opts.version, components });
    },
  );
};
