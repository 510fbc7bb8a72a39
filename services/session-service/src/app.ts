/**
 * Builds the fastify instance: plugins, then routes, in order. It never listens (server.ts
 * does), so tests build the whole app and drive it with `app.inject` or a real port.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import databasePlugin from './plugins/database.js';
import openapiPlugin from './plugins/openapi.js';
import problemDetailsPlugin from './plugins/problem-details.js';
import healthRoutes from './routes/health.js';
import type { Database } from './store/database.js';
import type { Migration } from './store/migrations.js';
import { SERVICE_VERSION } from './version.js';

export interface AppOptions {
  database: Database;
  /** The migrations this build expects applied (for /readyz). */
  migrations: readonly Migration[];
  /** The service's pino logger; tests leave it out and get a silent app. */
  loggerInstance?: FastifyBaseLogger;
}

export async function buildApp(options: AppOptions) {
  const app = Fastify({
    ...(options.loggerInstance === undefined
      ? { logger: false }
      : { loggerInstance: options.loggerInstance }),
    // Lets the graceful shutdown finish while keep-alive clients (dashboards) stay connected.
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(problemDetailsPlugin);
  await app.register(openapiPlugin, { version: SERVICE_VERSION });
  await app.register(databasePlugin, {
    database: options.database,
    migrations: options.migrations,
  });
  await app.register(healthRoutes);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
