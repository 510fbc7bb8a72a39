import { problemOfCode, type Problem } from '@tcplab/contract';

/**
 * An error answered by the service: the HTTP status and the problem+json body, with its stable
 * `code` (see `ErrorCode` in @tcplab/contract). Branch on `code`, not on the message.
 *
 * `watch()` rejects with an ApiError too when the service refuses it over socket.io (an unknown
 * token, a session that does not exist): same codes, and the status the same code has over REST.
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

/** True when `error` came from the service as a refusal (problem+json, or over socket.io). */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/**
 * The service could not be reached at all (refused connection, DNS failure, reset, an aborted
 * fetch): there is no answer, so no status and no code. `cause` holds what fetch threw.
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause: unknown) {
    super(`${method} ${url}: no answer from the service (${describe(cause)})`, { cause });
    this.method = method;
    this.url = url;
  }
}

/** True when `error` is a request that never got an answer. */
export function isNetworkError(error: unknown): error is NetworkError {
  return error instanceof NetworkError;
}

/** fetch's own message is often just "fetch failed": the reason is in its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message !== ''
    ? `${error.message}: ${cause.message}`
    : error.message;
}

/** An ApiError for a refusal that came over socket.io (a handshake or a subscribe). */
export function realtimeRefusal(code: string, message: string, instance: string): ApiError {
  return new ApiError({
    type: `urn:tcplab:problem:${code}`,
    title: 'Refused over socket.io',
    // The status the same code has over REST, so a refusal reads the same whichever way it came.
    status: problemOfCode(code)?.status ?? 400,
    code,
    detail: message,
    instance,
  });
}
