/**
 * What keeps one client from hurting the others: a request budget per API key (429 with
 * Retry-After), load shedding while the event loop lags (503 with Retry-After), security
 * headers, and CORS for the origins an operator lists (none by default). Which routes are
 * budgeted and shed is the route's declared access (auth/access.ts), as for authentication.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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

const RETRY_AFTER_S = 10;
const DEFAULT_SAMPLE_INTERVAL_MS = 250;

/** Routes anyone may call (health, the API description, the dashboard) draw on no budget. */
function isPublic(request: FastifyRequest): boolean {
  return request.routeOptions.config.access?.allow === 'anyone';
}

async function protection(app: FastifyInstance, options: ProtectionOptions) {
  // Swagger UI's page runs inline scripts; the API answers JSON, where a CSP does nothing.
  await app.register(helmet, { contentSecurityPolicy: false });
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
    allowList: isPublic,
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
