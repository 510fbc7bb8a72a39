import { Type, type Static } from 'typebox';
import { Problem } from './problem.js';

/** GET /healthz: the process is alive. */
export const Health = Type.Object(
  { status: Type.Literal('ok') },
  { $id: 'Health', examples: [{ status: 'ok' }] },
);
export type Health = Static<typeof Health>;

/** What /readyz checked: the database answers, and every migration on disk is applied. */
export const ReadinessChecks = Type.Object({
  database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
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
