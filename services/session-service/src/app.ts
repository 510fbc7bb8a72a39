/**
 * Builds the fastify instance: plugins, then routes, in order. It never listens (server.ts
 * does), so tests build the whole app and drive it with `app.inject` or a real port.
 */
import type { EmbeddedDatabase } from '@tcplab/contract';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import dashboardPlugin from './plugins/dashboard.js';
import databasePlugin from './plugins/database.js';
import openapiPlugin from './plugins/openapi.js';
import inputPlugin from './plugins/input.js';
import problemDetailsPlugin, {
  clientErrorHandler,
  frameworkErrors,
} from './plugins/problem-details.js';
import authPlugin, { type AuthOptions } from './plugins/auth.js';
import protectionPlugin, { NO_LIMITS, type ProtectionOptions } from './plugins/protection.js';
import forwardingPlugin from './plugins/forwarding.js';
import runtimePlugin, { type RuntimePluginOptions } from './plugins/runtime.js';
import endpointRoutes from './routes/endpoints.js';
import faultRoutes from './routes/faults.js';
import healthRoutes from './routes/health.js';
import scenarioRoutes from './routes/scenarios.js';
import sessionRoutes from './routes/sessions.js';
import traceRoutes from './routes/trace.js';
import adminRoutes from './routes/admin.js';
import viewerTokenRoutes from './routes/viewer-tokens.js';
import realtimePlugin, { type RealtimeOptions } from './realtime/plugin.js';
import type { Database } from './store/database.js';
import type { Migration } from './store/migrations.js';
import { buildValidator } from './support/exact-bodies.js';
import { SERVICE_VERSION } from './version.js';

export interface AppOptions {
  database: Database;
  /** The migrations this build expects applied (for /readyz). */
  migrations: readonly Migration[];
  /** The service's pino logger; tests leave it out and get a silent app. */
  loggerInstance?: FastifyBaseLogger;
  /** API keys required (the default) or one local user (loopback only; config.ts checks). */
  auth?: AuthOptions;
  /** Session runtime options (tests fix the seed a session gets when it names none). */
  runtime?: RuntimePluginOptions;
  /** Realtime options (tests shorten the cluster's renewal period). */
  realtime?: Pick<RealtimeOptions, 'clusterRenewMs'>;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); none by default, so
   * that a client cannot pick the address its budgets are kept by.
   */
  trustedProxies?: readonly string[];
  /** How the embedded PostgreSQL is, when the service runs one (for /healthz and /readyz). */
  embeddedDatabase?: () => EmbeddedDatabase;
  /** Rate limits, load shedding, CORS; left out: none of them (the server passes its own). */
  protection?: Partial<ProtectionOptions>;
}

export async function buildApp(options: AppOptions) {
  const app = Fastify({
    ...(options.loggerInstance === undefined
      ? { logger: false }
      : { loggerInstance: options.loggerInstance }),
    // Lets the graceful shutdown finish while keep-alive clients (dashboards) stay connected.
    forceCloseConnections: 'idle',
    // A request that reaches a closing instance (a balancer's last one, or another instance's
    // forward) is answered, not refused with 503: its session was handed to a serving instance
    // (preClose), where the request is forwarded.
    return503OnClosing: false,
    trustProxy: options.trustedProxies === undefined ? false : [...options.trustedProxies],
    // Unknown fields are refused (400 naming them), not silently dropped; dropping them would
    // also break bodies that are one of several shapes (ajv strips while trying each).
    ajv: { customOptions: { removeAdditional: false } },
    // JSON bodies are validated as sent, without type coercion (support/exact-bodies.ts).
    schemaController: { compilersFactory: { buildValidator } },
    // Errors answered before routing are problem+json too.
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // An empty body sent as application/json (curl -H 'content-type: application/json' with no
  // -d) is no body, as the action routes (listen, close, ...) expect; anything else is parsed
  // by fastify's own JSON parser, prototype poisoning refused.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') done(null, undefined);
    else void parseJson(request, text, done);
  });
  const protection = { ...NO_LIMITS, ...options.protection };
  await app.register(problemDetailsPlugin);
  await app.register(inputPlugin);
  await app.register(protectionPlugin, protection);
  await app.register(databasePlugin, {
    database: options.database,
    migrations: options.migrations,
  });
  // Before any route: it holds the route table and checks that every route declares access.
  await app.register(authPlugin, {
    auth: options.auth ?? { mode: 'keys' },
    failedAuthPerMinute: protection.failedAuthPerMinute,
  });
  await app.register(openapiPlugin, { version: SERVICE_VERSION });
  await app.register(runtimePlugin, options.runtime ?? {});
  await app.register(forwardingPlugin);
  await app.register(realtimePlugin, {
    auth: options.auth ?? { mode: 'keys' },
    trustedProxies: options.trustedProxies,
    ...options.realtime,
  });
  await app.register(healthRoutes, { embeddedDatabase: options.embeddedDatabase });
  await app.register(sessionRoutes);
  await app.register(endpointRoutes);
  await app.register(faultRoutes);
  await app.register(traceRoutes);
  await app.register(adminRoutes);
  await app.register(viewerTokenRoutes);
  await app.register(scenarioRoutes);
  await app.register(dashboardPlugin);

  // Once closing, every answer ends its connection: a keep-alive connection (a balancer's, or
  // another instance's forwarder's) would otherwise hold the server open until it idles out.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
