/**
 * Who a request acts for. Every /v1 request carries `Authorization: Bearer <key>`; the key
 * names a tenant (everything a request sees belongs to it: another tenant's session answers
 * 404) and a role: `viewer` reads, `instructor` also creates and drives sessions, `admin` may
 * do everything. A viewer token (the classroom link) reads its one session. With auth disabled
 * (loopback only, see config.ts) one local user is admin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { verifyKey, type Principal, type Role } from '../auth/keys.js';
import { looksLikeViewerToken, verifyViewerToken } from '../auth/viewer-tokens.js';
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

/**
 * A viewer token (the classroom link) reads its one session, as the dashboard's viewer mode
 * does: the session, its endpoints, trace and capture, with GET. Nothing else: not its tokens,
 * not another session, no change.
 */
async function viewerPrincipal(
  app: FastifyInstance,
  request: FastifyRequest,
  token: string,
): Promise<Principal> {
  const check = await verifyViewerToken(app.db.prisma, token, new Date());
  if (!check.ok) throw new ApiProblem(Problems.unauthorized, `the viewer token is ${check.reason}`);
  const { sessionId } = check.principal.viewerToken;
  const path = request.url.split('?')[0] ?? '';
  const base = `/v1/sessions/${sessionId}`;
  const ofSession =
    path === base || (path.startsWith(`${base}/`) && !path.startsWith(`${base}/viewer-tokens`));
  if (!READ_METHODS.has(request.method) || !ofSession) {
    throw new ApiProblem(
      Problems.forbidden,
      `a viewer token reads session ${sessionId} only, and changes nothing`,
    );
  }
  return { tenantId: check.principal.tenantId, role: 'viewer' };
}

/** The principal of a request that carries a key (or a viewer token). */
async function principalOf(app: FastifyInstance, request: FastifyRequest, key: string | undefined) {
  if (key !== undefined && looksLikeViewerToken(key)) return viewerPrincipal(app, request, key);
  const found = key === undefined ? undefined : await verifyKey(app.db.prisma, key);
  if (found !== undefined) return found;
  throw new ApiProblem(
    Problems.unauthorized,
    key === undefined
      ? 'send an API key as "Authorization: Bearer <key>"'
      : 'the API key is unknown or revoked',
  );
}

function auth(app: FastifyInstance, options: AuthOptions, done: () => void) {
  app.decorateRequest('tenantId', LOCAL_PRINCIPAL.tenantId);
  app.decorateRequest('role', LOCAL_PRINCIPAL.role);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return; // health, docs and the OpenAPI document are public
    let principal = LOCAL_PRINCIPAL;
    if (options.mode === 'keys') {
      try {
        principal = await principalOf(app, request, bearer(request));
      } catch (error) {
        if (error instanceof ApiProblem && error.problem === Problems.unauthorized) {
          reply.header('WWW-Authenticate', 'Bearer realm="tcplab"');
        }
        throw error;
      }
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
