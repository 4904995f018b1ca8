import type { FastifyReply, FastifyRequest } from 'fastify';

/** Resolves a bearer token to its holder, or undefined when unknown or revoked. */
export type TokenVerifier = (token: string) => { name: string; role: 'admin' | 'reader' } | undefined;

/** A preHandler that admits only requests carrying a valid `Authorization: Bearer <token>`. */
export function requireBearer(verify: TokenVerifier) {
  return async function bearer(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const holder = match?.[1] ? verify(match[1]) : undefined;
    if (!holder) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="ioc"')
        .send({ code: 'IOC_ERR_UNAUTHORIZED', message: header ? 'invalid or revoked token' : 'missing Authorization: Bearer <token>' });
    }
  };
}
