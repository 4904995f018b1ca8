import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';

/** Every error the API answers with: a stable code, a message for a person, and where the problem was. */
export const ErrorBody = Type.Object({
  code: Type.String({ description: 'Stable error code, e.g. IOC_ERR_BAD_REQUEST' }),
  message: Type.String(),
  path: Type.Optional(Type.String({ description: 'Where in the request the problem is, e.g. querystring.from' })),
});

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { code?: string; path?: string }, req, reply) => {
    if (err.validation) {
      const first = err.validation[0];
      const where = [err.validationContext, first?.instancePath.replace(/^\//, '').replaceAll('/', '.')]
        .filter(Boolean)
        .join('.');
      return reply.code(400).send({ code: 'IOC_ERR_BAD_REQUEST', message: `${where}: ${first?.message ?? err.message}`, path: where });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    const code = typeof err.code === 'string' && err.code.startsWith('IOC_ERR_') ? err.code : status >= 500 ? 'IOC_ERR_INTERNAL' : 'IOC_ERR_BAD_REQUEST';
    const body: { code: string; message: string; path?: string } = { code, message: status >= 500 ? 'internal error' : err.message };
    if (err.path) body.path = err.path;
    return reply.code(status).send(body);
  });
}

/** A 400 naming the request part that was wrong. */
export function badRequest(path: string, message: string): Error & { statusCode: number; code: string; path: string } {
  return Object.assign(new Error(`${path}: ${message}`), { statusCode: 400, code: 'IOC_ERR_BAD_REQUEST', path });
}
