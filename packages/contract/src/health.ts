import { Type, type Static } from 'typebox';
import { Problem } from './problem.js';

/**
 * The PostgreSQL the service runs itself (no DATABASE_URL): running, being started again after
 * it died (requests answer 503 meanwhile), or failed to start again (the service then exits, for
 * its supervisor to start it afresh).
 */
export const EmbeddedDatabase = Type.Object({
  state: Type.Union([Type.Literal('running'), Type.Literal('restarting'), Type.Literal('failed')]),
  restarts: Type.Integer({ minimum: 0, description: 'Times it died and was started again' }),
});
export type EmbeddedDatabase = Static<typeof EmbeddedDatabase>;

/** GET /healthz: the process is alive (and how its embedded database is, if it runs one). */
export const Health = Type.Object(
  { status: Type.Literal('ok'), embeddedDatabase: Type.Optional(EmbeddedDatabase) },
  {
    $id: 'Health',
    examples: [
      { status: 'ok' },
      { status: 'ok', embeddedDatabase: { state: 'running', restarts: 0 } },
    ],
  },
);
export type Health = Static<typeof Health>;

/**
 * This instance's place among the instances on one database: `serving` while it takes
 * requests, `draining` once it was told to stop (it answers 503 then, for the balancer to send
 * requests elsewhere, and gives its sessions up as it closes).
 */
export const ClusterPlace = Type.Object({
  instance: Type.String({ description: 'This instance, as session leases name it' }),
  url: Type.String({ description: 'Where the other instances reach it' }),
  state: Type.Union([Type.Literal('serving'), Type.Literal('draining')]),
  sessions: Type.Integer({ minimum: 0, description: 'Sessions whose lease it holds' }),
});
export type ClusterPlace = Static<typeof ClusterPlace>;

/** What /readyz checked: the database answers, and every migration on disk is applied. */
export const ReadinessChecks = Type.Object({
  database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  embeddedDatabase: Type.Optional(EmbeddedDatabase),
  cluster: Type.Optional(ClusterPlace),
  migrations: Type.Object({
    applied: Type.Integer({ minimum: 0, description: 'Migrations recorded as applied' }),
    pending: Type.Array(Type.String(), { description: 'Migrations on disk not yet applied' }),
  }),
});
export type ReadinessChecks = Static<typeof ReadinessChecks>;

/** GET /readyz, 200: the service can serve requests. */
export const Readiness = Type.Object(
  { status: Type.Literal('ready'), checks: ReadinessChecks },
  {
    $id: 'Readiness',
    examples: [
      { status: 'ready', checks: { database: 'up', migrations: { applied: 1, pending: [] } } },
    ],
  },
);
export type Readiness = Static<typeof Readiness>;

/** GET /readyz, 503: a problem (code NOT_READY) that carries the checks that failed. */
export const NotReadyProblem = Type.Object(
  { ...Problem.properties, checks: ReadinessChecks },
  {
    $id: 'NotReadyProblem',
    examples: [
      {
        type: 'urn:tcplab:problem:NOT_READY',
        title: 'Service not ready',
        status: 503,
        code: 'NOT_READY',
        detail: 'the database does not answer',
        checks: { database: 'down', migrations: { applied: 0, pending: [] } },
      },
    ],
  },
);
export type NotReadyProblem = Static<typeof NotReadyProblem>;
