/**
 * GET /healthz (the process is alive) and GET /readyz (database up, migrations applied, the
 * instance not stopping: its place in the cluster); both say how the embedded PostgreSQL is,
 * when the service runs one.
 */
import {
  Health,
  NotReadyProblem,
  Readiness,
  type EmbeddedDatabase,
  type ReadinessChecks,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { ApiProblem, Problems } from '../errors.js';
import { appliedMigrationNames } from '../store/migrations.js';
import { withTimeout } from '../support/with-timeout.js';

const READINESS_TIMEOUT_MS = 2_000;

export interface HealthOptions {
  /** How the embedded PostgreSQL is, when the service runs one (store/embedded-postgres.ts). */
  embeddedDatabase?: (() => EmbeddedDatabase) | undefined;
}

const health: FastifyPluginCallbackTypebox<HealthOptions> = (app, options, done) => {
  const embedded = () =>
    options.embeddedDatabase === undefined ? {} : { embeddedDatabase: options.embeddedDatabase() };
  app.get(
    '/healthz',
    {
      config: { access: Access.public },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: { 200: Health },
      },
    },
    () => ({ status: 'ok' as const, ...embedded() }),
  );

  app.get(
    '/readyz',
    {
      config: { access: Access.public },
      schema: {
        tags: ['health'],
        summary:
          'Readiness: the database answers, every migration is applied, and the instance is not stopping',
        response: { 200: Readiness, 503: NotReadyProblem },
      },
    },
    async () => {
      const expected = app.expectedMigrations;
      let applied: string[] | undefined;
      try {
        applied = await withTimeout(
          appliedMigrationNames(app.db.pool),
          READINESS_TIMEOUT_MS,
          'readiness check',
        );
      } catch (error) {
        app.log.warn({ err: error }, 'readiness: database check failed');
      }
      const cluster = app.runtime.place();
      const checks: ReadinessChecks = {
        database: applied === undefined ? 'down' : 'up',
        ...embedded(),
        cluster,
        migrations: {
          applied: applied?.length ?? 0,
          pending: expected.filter((name) => !applied?.includes(name)),
        },
      };
      if (applied === undefined) {
        throw new ApiProblem(Problems.notReady, 'the database does not answer', { checks });
      }
      if (cluster.state === 'draining') {
        throw new ApiProblem(Problems.notReady, 'this instance is stopping', { checks });
      }
      if (checks.migrations.pending.length > 0) {
        const pending = checks.migrations.pending.join(', ');
        throw new ApiProblem(Problems.notReady, `migrations not applied: ${pending}`, { checks });
      }
      return { status: 'ready' as const, checks };
    },
  );
  done();
};

export default health;
