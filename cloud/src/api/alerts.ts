import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AlertHub } from '../alerts/hub.js';
import type { AlertActions } from '../alerts/actions.js';
import type { AlertEvent } from '../alerts/types.js';
import { actorOf, READERS, type RoleGuard } from './auth.js';
import { badRequest, ErrorBody } from './errors.js';
import { Id, Millis, Nullable } from './schemas.js';

export interface AlertRoutesOptions {
  guard: RoleGuard;
  hub: AlertHub;
  actions: AlertActions;
  now?: () => number;
  /** SSE keep-alive comment period. Default 15 s (below common proxy idle timeouts). */
  heartbeatMs?: number;
}

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const State = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]);
const Subject = Type.Object({ site: Type.String(), gateway: Type.Optional(Type.String()), sensor: Type.Optional(Type.String()), metric: Type.Optional(Type.String()), camera: Type.Optional(Type.String()) });
const AlertView = Type.Object({
  id: Type.String(), ruleId: Type.String(), ruleName: Type.String(), severity: Severity, subject: Subject, state: State,
  message: Type.String(), flapping: Type.Boolean(), openedAt: Millis, acknowledgedAt: Nullable(Millis), acknowledgedBy: Nullable(Type.String()),
  ackNote: Nullable(Type.String()), resolvedAt: Nullable(Millis), resolvedBy: Nullable(Type.String()), lastEventId: Type.Integer(),
});
const EventView = Type.Object({
  id: Type.Integer(), alertId: Type.String(), type: Type.String(), ruleId: Type.String(), ruleName: Type.String(), severity: Severity,
  subject: Subject, state: State, at: Millis, message: Type.String(), actor: Type.Optional(Type.String()), note: Type.Optional(Type.String()),
  cause: Type.Optional(Type.Object({ sensor: Type.Optional(Type.String()), metric: Type.Optional(Type.String()), ts: Millis, value: Type.Optional(Type.Number()) })),
});
const AlertParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** Writes one SSE frame; `id` lets a reconnecting client resume with Last-Event-ID. */
function frame(e: AlertEvent): string {
  return `id: ${e.id}\nevent: alert\ndata: ${JSON.stringify(e)}\n\n`;
}

/** Alerts for the IOC: list, history, ack, resolve (officers), and the live SSE stream with resume. */
export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { hub, guard } = opts;
  const now = opts.now ?? Date.now;
  const tags = ['alerts'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/alerts', {
    preHandler: guard(...READERS),
    schema: {
      tags, security, summary: 'Alerts, newest first',
      querystring: Type.Object({
        state: Type.Optional(Type.Union([State, Type.Literal('active')])), severity: Type.Optional(Severity), site: Type.Optional(Id),
        from: Type.Optional(Millis), to: Type.Optional(Millis), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ alerts: Type.Array(AlertView) }) },
    },
  }, async (req) => ({ alerts: hub.store.list(req.query) }));

  app.get('/api/v1/alerts/:id', {
    preHandler: guard(...READERS),
    schema: { tags, security, params: AlertParams, response: { 200: Type.Object({ alert: AlertView, history: Type.Array(EventView) }), 404: ErrorBody } },
  }, async (req, reply) => {
    const alert = hub.store.get(req.params.id);
    if (!alert) return reply.code(404).send({ code: 'IOC_ERR_NOT_FOUND', message: `alert ${req.params.id} does not exist` });
    return { alert, history: hub.store.history(alert.id) };
  });

  for (const action of ['ack', 'resolve'] as const) {
    app.post(`/api/v1/alerts/:id/${action}`, {
      preHandler: guard('officer'),
      schema: {
        tags, security, summary: action === 'ack' ? 'Acknowledge an open alert, with a note' : 'Resolve an alert by hand',
        params: AlertParams, response: { 200: AlertView, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    }, async (req) => {
      // The body is optional (`curl -X POST …/ack` is fine), so it is checked here rather than by a schema.
      const note = (req.body as { note?: unknown } | null | undefined)?.note;
      if (note !== undefined && (typeof note !== 'string' || note.length > 2000)) throw badRequest('body.note', 'must be a string of at most 2000 characters');
      const id = req.params.id;
      if (action === 'ack') opts.actions.acknowledge(id, actorOf(req), note, now());
      else opts.actions.resolve(id, actorOf(req), note, now());
      return hub.store.get(id)!;
    });
  }

  // EventSource cannot send headers: the stream also takes ?access_token= (request logging is off).
  const streamAuth = guard(...READERS);
  app.get('/api/v1/alerts/stream', {
    preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
      const token = (req.query as { access_token?: string }).access_token;
      if (token && !req.headers.authorization) req.headers.authorization = `Bearer ${token}`;
      await streamAuth.call(fastify, req, reply);
    },
    schema: {
      tags, security, summary: 'Server-Sent Events: one `alert` event per transition; reconnect with Last-Event-ID to get what was missed',
      querystring: Type.Object({ access_token: Type.Optional(Type.String()), lastEventId: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
    },
  }, (req, reply) => {
    const header = req.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    let last = fromHeader ?? req.query.lastEventId ?? hub.store.lastEventId();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': ioc alerts\nretry: 2000\n\n');
    // Listen first and buffer, then replay from the store, so nothing recorded in between is lost or doubled.
    const pending: AlertEvent[] = [];
    let live = false;
    const send = (e: AlertEvent): void => {
      if (e.id <= last) return;
      last = e.id;
      res.write(frame(e));
    };
    const unsubscribe = hub.subscribe((e) => (live ? send(e) : pending.push(e)));
    for (let page = hub.store.eventsAfter(last); page.length > 0; page = hub.store.eventsAfter(last)) page.forEach(send);
    pending.forEach(send);
    live = true;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
    req.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
};
