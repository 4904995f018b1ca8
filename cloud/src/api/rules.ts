import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import type { Rule } from '../rules/index.js';
import { actorOf, READERS, type RoleGuard } from './auth.js';
import { badRequest, ErrorBody } from './errors.js';

/** What the rules API needs of the alert service. */
export interface RuleAdmin {
  rules(): Rule[];
  setRules(raw: unknown[], actor: string): Rule[];
}

/** Rules as served: validated on the way in by the engine's RuleSchema; every field of a rule is passed through. */
const RuleView = Type.Object({ id: Type.String(), kind: Type.String(), severity: Type.String() }, { additionalProperties: true });

export interface RuleRoutesOptions {
  guard: RoleGuard;
  admin: RuleAdmin;
}

/** Alert rules: everyone reads; officers (and admins) replace the set, as JSON or as a YAML document. */
export const ruleRoutes: FastifyPluginAsync<RuleRoutesOptions> = async (fastify, { guard, admin }) => {
  fastify.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string) as unknown);
    } catch (err) {
      done(badRequest('body', `not valid YAML: ${(err as Error).message}`), undefined);
    }
  });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['alerts'];
  const security = [{ bearer: [] }];

  app.get('/api/v1/rules', {
    preHandler: guard(...READERS),
    schema: { tags, security, summary: 'The alert rules in force', response: { 200: Type.Object({ rules: Type.Array(RuleView) }) } },
  }, async () => ({ rules: admin.rules() }));

  app.put('/api/v1/rules', {
    preHandler: guard('officer'),
    schema: {
      tags, security,
      summary: 'Replace the rule set (JSON, or YAML with Content-Type: application/yaml): { rules: [...] } or a bare list',
      response: { 200: Type.Object({ rules: Type.Array(RuleView) }), 400: ErrorBody },
    },
  }, async (req) => {
    const body = req.body;
    const list = Array.isArray(body) ? body : (body as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(list)) throw badRequest('body', 'expected { "rules": [...] } or a list of rules');
    try {
      return { rules: admin.setRules(list, actorOf(req)) };
    } catch (err) {
      const e = err as { code?: string; path?: string; message: string };
      if (e.code === 'IOC_ERR_RULE_INVALID') throw badRequest(`body.${e.path ?? 'rules'}`, e.message);
      throw err;
    }
  });
};
