/**
 * What keeps one client from hurting the others: a request budget per API key (429 with
 * Retry-After), load shedding while the event loop lags (503 with Retry-After), security
 * headers, and CORS for the origins an operator lists (none by default). Which routes are
 * budgeted and shed is the route's declared access (auth/access.ts), as for authentication.
 *
 * Security headers (helmet) on every answer, socket.io's included (realtime/plugin.ts):
 * - an API answer loads nothing and is framed nowhere (`API_HEADERS`);
 * - a page runs only scripts and styles of its own origin, nothing inline (Swagger UI: one
 *   <style>, by its hash), and talks only to its origin (`withPagePolicy`, `PAGE_POLICY`).
 */
import cors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { HelmetOptions } from 'helmet';
import { ApiProblem, Problems } from '../errors.js';

export interface ProtectionOptions {
  /** Requests per minute for one API key or viewer token (or one address with auth disabled). */
  rateLimitPerMinute: number;
  /** Requests with no key or a bad one per minute from one client address (plugins/auth.ts). */
  failedAuthPerMinute: number;
  /** Origins allowed to call the API from a browser; empty: no CORS headers. */
  corsOrigins: readonly string[];
  /** Event loop delay (ms) above which /v1 requests are refused until it recovers; 0: never. */
  maxEventLoopDelayMs: number;
  /** How often the event loop is sampled (ms). */
  sampleIntervalMs?: number;
}

/** What the service runs with (server.ts); its configuration may change the first two. */
export const SERVICE_PROTECTION: ProtectionOptions = {
  rateLimitPerMinute: 1200,
  failedAuthPerMinute: 60,
  corsOrigins: [],
  maxEventLoopDelayMs: 1000,
};

/** What an app built without options gets (tests): headers only, no budgets, no shedding. */
export const NO_LIMITS: ProtectionOptions = {
  rateLimitPerMinute: Number.MAX_SAFE_INTEGER,
  failedAuthPerMinute: Number.MAX_SAFE_INTEGER,
  corsOrigins: [],
  maxEventLoopDelayMs: 0,
};

type ContentSecurityPolicy = Exclude<HelmetOptions['contentSecurityPolicy'], boolean | undefined>;

/**
 * The dashboard's pages: scripts, styles and fonts from their own files only (no inline script
 * or style, no eval), requests to their own origin (socket.io's WebSocket too: 'self' matches
 * ws: and wss: of the page's host in CSP 3), images of their own or data: URLs (the favicon), no
 * plugins, no <base>, forms to their own origin, framed nowhere. No upgrade-insecure-requests:
 * a classroom service may well be plain http.
 */
export const PAGE_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    connectSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
} satisfies ContentSecurityPolicy;

/**
 * Swagger UI's: the page policy, and the one <style> its top bar's logo (an inline SVG) carries,
 * by its hash (swagger-ui-standalone-preset.js: `.logo_small_svg__cls-2{fill:#fff}...`).
 */
export const SWAGGER_UI_POLICY = {
  ...PAGE_POLICY,
  directives: {
    ...PAGE_POLICY.directives,
    styleSrc: ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
  },
} satisfies ContentSecurityPolicy;

/** An API answer (JSON, problem+json, a pcapng file): nothing to load, never framed. */
const API_POLICY = {
  useDefaults: false,
  directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
} satisfies ContentSecurityPolicy;

/**
 * Every answer's headers (a page's with its own CSP instead); socket.io's answers too. Helmet's
 * X-Frame-Options (SAMEORIGIN) stays for browsers older than CSP 2; the others obey
 * frame-ancestors 'none' and ignore it.
 */
export const API_HEADERS = { contentSecurityPolicy: API_POLICY } satisfies HelmetOptions;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/helmet's options for the route, over the plugin's own. */
    helmet?: HelmetOptions;
  }
}

/**
 * Gives every route registered in `scope` (the dashboard's files, Swagger UI's) `policy` as its
 * CSP, the other headers as `API_HEADERS`. @fastify/helmet reads a route's options from its
 * config: its `helmet` route option is copied there by an onRoute hook that runs before this one.
 */
export function withPagePolicy(
  scope: FastifyInstance,
  policy: ContentSecurityPolicy = PAGE_POLICY,
): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, helmet: { contentSecurityPolicy: policy } };
  });
}

const RETRY_AFTER_S = 10;
const DEFAULT_SAMPLE_INTERVAL_MS = 250;

/** Routes anyone may call (health, the API description, the dashboard) draw on no budget. */
function isPublic(request: FastifyRequest): boolean {
  return request.routeOptions.config.access?.allow === 'anyone';
}

async function protection(app: FastifyInstance, options: ProtectionOptions) {
  await app.register(fastifyHelmet, API_HEADERS);
  if (options.corsOrigins.length > 0) {
    await app.register(cors, { origin: [...options.corsOrigins], exposedHeaders: ['retry-after'] });
  }
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute,
    timeWindow: '1 minute',
    // After authentication (onRequest), before the body is read: a verified key or viewer token
    // draws on its own budget, anything else on its address's (plugins/auth.ts sets `budget`).
    hook: 'preParsing',
    keyGenerator: (request) => request.budget,
    // A forwarded request drew on its budget where it came in (plugins/forwarding.ts).
    allowList: (request) => isPublic(request) || request.hops > 0,
    errorResponseBuilder: (_request, context) =>
      new ApiProblem(
        Problems.rateLimited,
        `more than ${context.max} requests in a minute; retry in ${context.after}`,
      ),
  });
  // Sampling only: the check below sheds /v1 requests, never health checks (a liveness probe
  // that failed under load would get a busy service restarted).
  const sampleIntervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  await app.register(underPressure, { sampleInterval: sampleIntervalMs, exposeStatusRoute: false });
  // Start-up keeps the loop busy a few hundred ms (compiling every route's schemas), and the
  // samples that span it read that as lag (under-pressure says Infinity when the loop was busy
  // through a whole interval): until two samples after ready, what they read is start-up's.
  let readyAt = Number.POSITIVE_INFINITY;
  app.addHook('onReady', () => {
    readyAt = performance.now();
    return Promise.resolve();
  });
  const startingUp = () => performance.now() - readyAt < 2 * sampleIntervalMs;
  if (options.maxEventLoopDelayMs > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (isPublic(request)) return;
      const delay = app.memoryUsage().eventLoopDelay;
      if (delay <= options.maxEventLoopDelayMs || startingUp()) return;
      reply.header('retry-after', String(RETRY_AFTER_S));
      throw new ApiProblem(
        Problems.overloaded,
        `the service is shedding load (event loop ${Math.round(delay)} ms behind); ` +
          `retry in ${RETRY_AFTER_S} s`,
      );
    });
  }
}

export default fp(protection, { name: 'tcplab-protection', fastify: '5.x' });
