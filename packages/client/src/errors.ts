import type { Problem } from '@tcplab/contract';

/**
 * An error answered by the service: the HTTP status and the problem+json body, with its stable
 * `code` (see `ErrorCode` in @tcplab/contract). Branch on `code`, not on the message.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly problem: Problem & Record<string, unknown>;

  constructor(problem: Problem & Record<string, unknown>) {
    super(problem.detail ?? problem.title);
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

/** True when `error` came from the service as a problem+json answer. */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
