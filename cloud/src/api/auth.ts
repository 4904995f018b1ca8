import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ApiRole } from '../registry/types.js';

/** Who holds a bearer token. */
export interface TokenHolder {
  name: string;
  role: ApiRole;
}

/** Resolves a bearer token to its holder, or undefined when unknown or revoked. */
export type TokenVerifier = (token: string) => TokenHolder | undefined;

/** Builds the preHandler of an endpoint from the roles it admits (admin is always admitted). */
export type RoleGuard = (...roles: ApiRole[]) => preHandlerAsyncHookHandler;

const holders = new WeakMap<FastifyRequest, TokenHolder>();

/** The holder of the request's token, once a guard admitted it (for audit "who"). */
export function holderOf(req: FastifyRequest): TokenHolder | undefined {
  return holders.get(req);
}

/** The actor recorded in the audit log for a request. */
export function actorOf(req: FastifyRequest): string {
  const h = holders.get(req);
  return h ? `api:${h.name}` : 'api:anonymous';
}

/**
 * Guards that admit only requests carrying a valid `Authorization: Bearer <token>` whose role is among
 * the endpoint's roles: 401 without a valid token, 403 with a token of another role.
 */
export function roleGuard(verify: TokenVerifier): RoleGuard {
  return (...roles) =>
    async function guard(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const header = req.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      const holder = match?.[1] ? verify(match[1]) : undefined;
      if (!holder) {
        await reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="ioc"')
          .send({ code: 'IOC_ERR_UNAUTHORIZED', message: header ? 'invalid or revoked token' : 'missing Authorization: Bearer <token>' });
        return;
      }
      if (holder.role !== 'admin' && !roles.includes(holder.role)) {
        await reply.code(403).send({ code: 'IOC_ERR_FORBIDDEN', message: `role ${holder.role} may not do this; needs ${['admin', ...roles].join(' or ')}` });
        return;
      }
      holders.set(req, holder);
    };
}

/** Every role may read; kept as one list so endpoints say "readers" rather than repeating it. */
export const READERS: ApiRole[] = ['technician', 'officer', 'viewer'];

/** A preHandler admitting any valid token, whatever its role (reading endpoints). */
export function requireBearer(verify: TokenVerifier): preHandlerAsyncHookHandler {
  return roleGuard(verify)(...READERS);
}
