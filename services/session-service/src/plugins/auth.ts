/**
 * Who a request acts for, and whether it may call the route it matched. A request carries
 * `Authorization: Bearer <key>`; the key names a tenant (everything a request sees belongs to
 * it: another tenant's session answers 404) and a role: `viewer` reads, `instructor` also
 * creates and drives sessions, `admin` may do everything. A viewer token (the classroom link)
 * reads its one session. With auth disabled (loopback only, see config.ts) one local user is
 * admin.
 *
 * The decision is made on the route the router matched and the access it declares
 * (auth/access.ts), never on the URL's spelling. A route that declares none stops the app
 * from starting. Requests with no key or a bad one draw on their address's failure budget
 * (auth/failure-budget.ts) before their key is looked up. A request another instance forwarded
 * (plugins/forwarding.ts) carries the identity that instance verified, signed.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { roleMayCall, type RouteAccess } from '../auth/access.js';
import { FailureBudget } from '../auth/failure-budget.js';
import { keyPrefix, verifyKey, type Principal, type Role } from '../auth/keys.js';
import { looksLikeViewerToken, verifyViewerToken } from '../auth/viewer-tokens.js';
import { FORWARDED_HEADER } from '../cluster/identity.js';
import { ApiProblem, Problems } from '../errors.js';

export type AuthOptions = { mode: 'keys' } | { mode: 'disabled' };

export interface AuthPluginOptions {
  auth: AuthOptions;
  /** Requests with no key or a bad one allowed per client address and minute. */
  failedAuthPerMinute: number;
}

/** The tenant and role of every request when auth is disabled. */
export const LOCAL_PRINCIPAL: Principal = { tenantId: 'local', role: 'admin' };

/** A route as the router holds it, with the access it declared. */
export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess | undefined;
  /** The request schemas (body, querystring, params) the route declared. */
  schema: RouteOptions['schema'];
}

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    role: Role;
    /** The rate-limit budget the request draws on: its key, its viewer token, or its address. */
    budget: string;
  }
  interface FastifyInstance {
    /** Every route with its declared access, for the security suite and the start-up check. */
    routeTable(): RouteEntry[];
    /** Failed authentications per client address, REST's and socket.io's. */
    failedAuth: FailureBudget;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** A viewer token reads the one session its route's `:sid` names, on routes that allow it. */
async function viewerPrincipal(
  app: FastifyInstance,
  request: FastifyRequest,
  access: RouteAccess,
  token: string,
): Promise<Principal> {
  const check = await verifyViewerToken(app.db.prisma, token, new Date());
  if (!check.ok) throw new ApiProblem(Problems.unauthorized, `the viewer token is ${check.reason}`);
  const { id, sessionId } = check.principal.viewerToken;
  const sid = (request.params as Record<string, unknown> | undefined)?.['sid'];
  if (access.viewerToken !== true || sid !== sessionId) {
    throw new ApiProblem(
      Problems.forbidden,
      `a viewer token reads session ${sessionId} only, and changes nothing`,
    );
  }
  request.budget = `viewer:${id}`;
  return { tenantId: check.principal.tenantId, role: 'viewer' };
}

async function keyPrincipal(
  app: FastifyInstance,
  request: FastifyRequest,
  key: string | undefined,
): Promise<Principal> {
  const found = key === undefined ? undefined : await verifyKey(app.db.pool, key);
  if (key === undefined || found === undefined) {
    throw new ApiProblem(
      Problems.unauthorized,
      key === undefined
        ? 'send an API key as "Authorization: Bearer <key>"'
        : 'the API key is unknown or revoked',
    );
  }
  request.budget = `key:${keyPrefix(key)}`;
  return found;
}

function forbiddenFor(access: RouteAccess, role: Role): string {
  if (access.allow === 'admin') return 'tenants and keys are for admin keys';
  if (role === 'viewer') return 'a viewer key can read, not change, sessions';
  return `this route needs a key of role ${access.allow} or above; this key's role is ${role}`;
}

function auth(app: FastifyInstance, options: AuthPluginOptions, done: () => void) {
  app.decorateRequest('tenantId', '');
  app.decorateRequest('role', 'viewer');
  app.decorateRequest('budget', '');
  const failures = new FailureBudget({ perMinute: options.failedAuthPerMinute });
  app.decorate('failedAuth', failures);

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  const routeTable = (): RouteEntry[] =>
    routes.flatMap((route) =>
      [route.method].flat().map((method) => ({
        method,
        url: route.url,
        access: route.config?.access,
        schema: route.schema,
      })),
    );
  app.decorate('routeTable', routeTable);
  // Deny by default: a route without a declared access is a mistake caught before serving.
  app.addHook('onReady', (ready) => {
    for (const route of routeTable()) {
      if (route.access === undefined) {
        ready(new Error(`route ${route.method} ${route.url} declares no access (auth/access.ts)`));
        return;
      }
      if (route.access.viewerToken === true && !['GET', 'HEAD'].includes(route.method)) {
        ready(new Error(`route ${route.method} ${route.url}: a viewer token only reads`));
        return;
      }
    }
    ready();
  });

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    request.budget = `ip:${request.ip}`;
    // No route matched: the not-found handler answers 404, and there is nothing to protect.
    if (access === undefined && request.is404) return;
    if (access?.allow === 'anyone') return;
    if (access === undefined) throw new ApiProblem(Problems.forbidden, 'this route is closed');

    let principal = LOCAL_PRINCIPAL;
    const forwarded = request.headers[FORWARDED_HEADER];
    if (forwarded !== undefined) {
      // Another instance verified the caller and forwarded the request here (the session's
      // holder): its signed word stands for the key (cluster/identity.ts).
      const identity =
        typeof forwarded === 'string' ? await app.forwarding.verify(request, forwarded) : undefined;
      if (identity === undefined) {
        failures.settle(request.ip, undefined, false, Date.now());
        throw new ApiProblem(Problems.unauthorized, 'the forwarded identity does not verify');
      }
      principal = { tenantId: identity.tenantId, role: identity.role };
      request.budget = identity.budget;
      request.hops = identity.hops;
    } else if (options.auth.mode === 'keys') {
      const now = Date.now();
      const key = bearer(request);
      const prefix = key === undefined ? undefined : keyPrefix(key);
      const wait = failures.retryAfterS(request.ip, prefix, now);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new ApiProblem(Problems.rateLimited, failures.refusal(wait));
      }
      try {
        principal =
          key !== undefined && looksLikeViewerToken(key)
            ? await viewerPrincipal(app, request, access, key)
            : await keyPrincipal(app, request, key);
        failures.settle(request.ip, prefix, true, now);
      } catch (error) {
        if (error instanceof ApiProblem && error.problem === Problems.unauthorized) {
          failures.settle(request.ip, prefix, false, now);
          reply.header('WWW-Authenticate', 'Bearer realm="tcplab"');
        }
        throw error;
      }
    }
    if (!roleMayCall(access, principal.role)) {
      throw new ApiProblem(Problems.forbidden, forbiddenFor(access, principal.role));
    }
    request.tenantId = principal.tenantId;
    request.role = principal.role;
  });
  done();
}

export default fp(auth, { name: 'tcplab-auth', fastify: '5.x', dependencies: ['tcplab-database'] });
