/**
 * The error catalogue: every error the service answers with has a stable code (from
 * @tcplab/contract), an HTTP status and a title, and goes out as application/problem+json.
 */
import { Problems, type Problem, type ProblemInit } from '@tcplab/contract';

export { Problems, type ProblemInit };

/** An error a route throws on purpose; the error handler sends it as its problem. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly problem: ProblemInit,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** Builds the RFC 9457 body for `problem`. */
export function problemBody(
  problem: ProblemInit,
  detail: string | undefined,
  instance: string,
  extra: Partial<Pick<Problem, 'errors'>> & Record<string, unknown> = {},
): Problem & Record<string, unknown> {
  return {
    type: `urn:tcplab:problem:${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(detail === undefined ? {} : { detail }),
    instance,
    ...extra,
  };
}
