/**
 * The error catalogue: every error the service answers with has a stable code (from
 * @tcplab/contract), an HTTP status and a title, and goes out as application/problem+json.
 */
import { ErrorCode, type Problem } from '@tcplab/contract';

export interface ProblemInit {
  code: ErrorCode;
  status: number;
  title: string;
}

export const Problems = {
  validationFailed: {
    code: ErrorCode.ValidationFailed,
    status: 400,
    title: 'Request does not match the schema',
  },
  malformedBody: { code: ErrorCode.MalformedBody, status: 400, title: 'Malformed request body' },
  unsupportedMediaType: {
    code: ErrorCode.UnsupportedMediaType,
    status: 415,
    title: 'Unsupported media type',
  },
  payloadTooLarge: {
    code: ErrorCode.PayloadTooLarge,
    status: 413,
    title: 'Request body too large',
  },
  badRequest: { code: ErrorCode.BadRequest, status: 400, title: 'Bad request' },
  notFound: { code: ErrorCode.NotFound, status: 404, title: 'Not found' },
  notReady: { code: ErrorCode.NotReady, status: 503, title: 'Service not ready' },
  internal: { code: ErrorCode.Internal, status: 500, title: 'Internal error' },
  unauthorized: { code: ErrorCode.Unauthorized, status: 401, title: 'API key required' },
  forbidden: { code: ErrorCode.Forbidden, status: 403, title: 'Not allowed for this role' },
  rateLimited: { code: ErrorCode.RateLimited, status: 429, title: 'Too many requests' },
  overloaded: { code: ErrorCode.Overloaded, status: 503, title: 'Service overloaded' },
  clockConflict: {
    code: ErrorCode.ClockConflict,
    status: 409,
    title: 'Not possible with this clock now',
  },
  limitReached: { code: ErrorCode.LimitReached, status: 409, title: 'Limit reached' },
  alreadyExists: { code: ErrorCode.AlreadyExists, status: 409, title: 'Already exists' },
  addressInUse: { code: ErrorCode.AddressInUse, status: 409, title: 'Address in use' },
  isConnected: { code: ErrorCode.IsConnected, status: 409, title: 'Already connected' },
  already: { code: ErrorCode.Already, status: 409, title: 'Connection attempt in progress' },
  notConnected: { code: ErrorCode.NotConnected, status: 409, title: 'Not connected' },
  brokenPipe: { code: ErrorCode.BrokenPipe, status: 409, title: 'Sending side shut down' },
  invalid: { code: ErrorCode.Invalid, status: 409, title: 'Not possible in this state' },
} as const satisfies Record<string, ProblemInit>;

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
