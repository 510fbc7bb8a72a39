/**
 * Who a request acts for. Every /v1 request carries `Authorization: Bearer <key>`; the key
 * names a tenant (everything a request sees belongs to it: another tenant's session answers
 * 404) and a role: `viewer` reads, `instructor` also creates and drives sessions, `admin` may
 * do everything. With auth disabled (loopback only, see config.ts) one local user is admin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { verifyKey, type Principal, type Role } from '../auth/keys.js';
import { looksLikeViewerToken } from '../auth/viewer-tokens.js';
import { ApiProblem, Problems } from '../errors.js';

export type AuthOptions = { mode: 'keys' } | { mode: 'disabled' };

/** The tenant and role of every request when auth is disabled. */
export const LOCAL_PRINCIPAL: Principal = { tenantId: 'local', role: 'admin' };

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    role: Role;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function auth(app: FastifyInstance, options: AuthOptions, done: () => void) {
  app.decorateRequest('tenantId', LOCAL_PRINCIPAL.tenantId);
  app.decorateRequest('role', LOCAL_PRINCIPAL.role);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return; // health, docs and the OpenAPI document are public
    let principal = LOCAL_PRINCIPAL;
    if (options.mode === 'keys') {
      const key = bearer(request);
      const found = key === undefined ? undefined : await verifyKey(app.db.prisma, key);
      if (found === undefined) {
        reply.header('WWW-Authenticate', 'Bearer realm="tcplab"');
        throw new ApiProblem(
          Problems.unauthorized,
          key === undefined
            ? 'send an API key as "Authorization: Bearer <key>"'
            : looksLikeViewerToken(key)
              ? 'a viewer token only watches its session over socket.io; REST takes an API key'
              : 'the API key is unknown or revoked',
        );
      }
      principal = found;
    }
    if (principal.role === 'viewer' && !READ_METHODS.has(request.method)) {
      throw new ApiProblem(Problems.forbidden, 'a viewer key can read, not change, sessions');
    }
    request.tenantId = principal.tenantId;
    request.role = principal.role;
  });
  done();
}

export default fp(auth, { name: 'tcplab-auth', fastify: '5.x', dependencies: ['tcplab-database'] });
