/** Makes the database and the expected migrations available to routes as `app.db`. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../store/database.js';
import type { Migration } from '../store/migrations.js';

export interface DatabasePluginOptions {
  database: Database;
  /** The migrations this build of the service expects to find applied. */
  migrations: readonly Migration[];
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    expectedMigrations: readonly string[];
  }
}

function database(app: FastifyInstance, options: DatabasePluginOptions, done: () => void) {
  app.decorate('db', options.database);
  app.decorate(
    'expectedMigrations',
    options.migrations.map((m) => m.name),
  );
  done();
}

export default fp(database, { name: 'tcplab-database', fastify: '5.x' });
