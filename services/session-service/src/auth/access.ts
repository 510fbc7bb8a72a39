/**
 * Who may call a route, declared in the route's own definition (`config: { access }`) and
 * decided on the route the router matched, never on the spelling of the URL: `/%761/keys` is
 * `/v1/keys` to the router, so it is `/v1/keys` to the policy too.
 *
 * Invariants (plugins/auth.ts enforces them; test/security.test.ts checks them route by route):
 * - every route declares its access, or the app does not start (deny by default);
 * - `anyone`: no key needed, no budget drawn (health, the API description, the dashboard);
 * - a role: a key of that role or above (viewer < instructor < admin) of the route's tenant;
 * - `viewerToken`: a viewer token may call it as well, for the one session its `:sid` names.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './keys.js';

export interface RouteAccess {
  /** `anyone`, or the least role an API key needs. */
  allow: 'anyone' | Role;
  /** A viewer token of the session in the route's `:sid` may call it as well. */
  viewerToken?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The policies routes use. */
export const Access = {
  /** No key: health checks, the API description, the dashboard's files. */
  public: { allow: 'anyone' },
  /** Read what a tenant has (any key). */
  read: { allow: 'viewer' },
  /** Read one session: any key of its tenant, or a viewer token of that session. */
  readSession: { allow: 'viewer', viewerToken: true },
  /** Create and drive sessions. */
  drive: { allow: 'instructor' },
  /** Tenants and API keys. */
  admin: { allow: 'admin' },
} as const satisfies Record<string, RouteAccess>;

const RANK: Record<Role, number> = { viewer: 0, instructor: 1, admin: 2 };

/** True when a key of `role` may call a route with `access`. */
export function roleMayCall(access: RouteAccess, role: Role): boolean {
  return access.allow === 'anyone' || RANK[role] >= RANK[access.allow];
}

/**
 * Declares `access` for every route a third-party plugin registers in `scope` (Swagger UI, the
 * dashboard's static files), which take no route config of their own.
 */
export function markAll(scope: FastifyInstance, access: RouteAccess): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access };
  });
}
