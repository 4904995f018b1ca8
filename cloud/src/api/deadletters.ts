import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeadLetter, DeadLetterStore } from '../deadletter/dead-letter-store.js';
import { parseInstant } from './telemetry.js';
import { ErrorBody } from './errors.js';

export interface DeadLetterRoutesOptions {
  deadLetters: DeadLetterStore;
  /** Admits the roles that may read dead letters. */
  auth: preHandlerAsyncHookHandler;
}

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const Instant = Type.String({ description: 'ISO 8601 time or epoch milliseconds (arrival)', maxLength: 40 });

const Query = Type.Object(
  {
    code: Type.Optional(Type.String({ pattern: '^IOC_ERR_[A-Z0-9_]{1,64}$', description: 'e.g. IOC_ERR_PAYLOAD_JSON' })),
    site: Type.Optional(Id),
    gateway: Type.Optional(Id),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'cursor: the `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

const Letter = Type.Object({
  id: Type.Integer(),
  at: Type.Integer({ description: 'arrival, epoch ms UTC' }),
  time: Type.String({ description: 'arrival, ISO 8601 UTC' }),
  topic: Type.String(),
  site: Type.Union([Type.String(), Type.Null()]),
  gateway: Type.Union([Type.String(), Type.Null()]),
  code: Type.String({ description: 'why it was refused: IOC_ERR_TOPIC, IOC_ERR_PAYLOAD_JSON, IOC_ERR_STORE_BAD_DATA …' }),
  path: Type.String({ description: 'where: a JSON pointer into the payload, a topic segment, or empty' }),
  message: Type.String(),
  payload: Type.String({ description: 'the payload as kept (at most 64 KiB), as text or base64 (see payloadEncoding)' }),
  payloadEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  payloadBytes: Type.Integer({ description: 'size as received' }),
  truncated: Type.Boolean(),
});

const Page = Type.Object({
  total: Type.Integer({ description: 'letters matching the filters' }),
  count: Type.Integer(),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'cursor of the next (older) page' }),
  letters: Type.Array(Letter),
});

const Stats = Type.Object({
  stored: Type.Integer(),
  byCode: Type.Record(Type.String(), Type.Integer()),
  pruned: Type.Integer({ description: 'deleted by the count and age bounds since the store was created' }),
  oldest: Type.Union([Type.Integer(), Type.Null()]),
  newest: Type.Union([Type.Integer(), Type.Null()]),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

function view(l: DeadLetter) {
  let payload: string;
  let payloadEncoding: 'utf8' | 'base64' = 'utf8';
  try {
    payload = utf8.decode(l.payload);
  } catch {
    payload = l.payload.toString('base64');
    payloadEncoding = 'base64';
  }
  return {
    ...l,
    time: new Date(l.at).toISOString(),
    payload,
    payloadEncoding,
    truncated: l.payloadBytes > l.payload.length,
  };
}

/** GET /api/v1/deadletters (newest first, filtered, paged) and GET /api/v1/deadletters/stats. */
export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (app, opts) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/v1/deadletters',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['ingest'],
        summary: 'Messages ingest refused (and acknowledged), newest first, with the reason',
        security: [{ bearer: [] }],
        querystring: Query,
        response: { 200: Page, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await opts.deadLetters.list({
        ...(q.code ? { code: q.code } : {}),
        ...(q.site ? { site: q.site } : {}),
        ...(q.gateway ? { gateway: q.gateway } : {}),
        ...(q.from !== undefined ? { from: parseInstant('from', q.from, 0) } : {}),
        ...(q.to !== undefined ? { to: parseInstant('to', q.to, 0) } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        limit: q.limit ?? 20,
      });
      return { total: page.total, count: page.letters.length, next: page.next, letters: page.letters.map(view) };
    },
  );
  api.get(
    '/api/v1/deadletters/stats',
    {
      preHandler: opts.auth,
      schema: {
        tags: ['ingest'],
        summary: 'How many dead letters are kept, by code, and how many the bounds deleted',
        security: [{ bearer: [] }],
        response: { 200: Stats, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async () => opts.deadLetters.stats(),
  );
};
