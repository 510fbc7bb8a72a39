import { Type, type Static } from 'typebox';

/**
 * The stable error codes of the API. Clients branch on `code`, never on `title` or `detail`,
 * so a code, once published, keeps its meaning.
 */
export const ErrorCode = {
  /** The request body, query or parameters do not match the route's schema. */
  ValidationFailed: 'VALIDATION_FAILED',
  /** The body is not valid JSON (or not the declared content type). */
  MalformedBody: 'MALFORMED_BODY',
  /** The body's content type is not one the route accepts. */
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** The request is refused for a reason the other codes do not name (the detail says). */
  BadRequest: 'BAD_REQUEST',
  /** The body is larger than the service accepts. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** No route matches the method and path, or the resource does not exist. */
  NotFound: 'NOT_FOUND',
  /** The service cannot serve the request yet (database down, migrations pending). */
  NotReady: 'NOT_READY',
  /** A bug in tcplab: the request may be retried, and the log says more. */
  Internal: 'INTERNAL',
  /** No API key, or one that is unknown or revoked (401, with WWW-Authenticate: Bearer). */
  Unauthorized: 'UNAUTHORIZED',
  /** The key's role does not allow this request (a viewer changing something). */
  Forbidden: 'FORBIDDEN',
  /** Too many requests for this key (429, with Retry-After). */
  RateLimited: 'RATE_LIMITED',
  /** The service sheds load (503, with Retry-After): its event loop is too busy. */
  Overloaded: 'OVERLOADED',
  /** A limit of the tenant or session is reached (409; `limit` names it, `value` says how much). */
  LimitReached: 'LIMIT_REACHED',
  /** Something with this id exists already (409). */
  AlreadyExists: 'ALREADY_EXISTS',
  /** A clock action the session's clock does not take now (step while a realtime clock plays). */
  ClockConflict: 'CLOCK_CONFLICT',
  /**
   * The session cannot be continued exactly here (its log was written by an engine that behaves
   * otherwise, during an upgrade): it is read-only (409); its trace, segments and capture stay
   * readable.
   */
  SessionReadOnly: 'SESSION_READ_ONLY',
  // Calls TCP refuses, named like the socket errors a program would see (409).
  /** The address and port are taken by another endpoint of the session. */
  AddressInUse: 'EADDRINUSE',
  /** connect on an endpoint that is already connected. */
  IsConnected: 'EISCONN',
  /** connect while a connection attempt is under way. */
  Already: 'EALREADY',
  /** A call that needs a connection on an endpoint that has none. */
  NotConnected: 'ENOTCONN',
  /** send after the endpoint has shut down its sending side. */
  BrokenPipe: 'EPIPE',
  /** A call the endpoint's state does not allow (listen on a connected endpoint). */
  Invalid: 'EINVAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A problem type: its stable code, HTTP status and title. */
export interface ProblemInit {
  code: ErrorCode;
  status: number;
  title: string;
}

/** The catalogue: every problem the service answers with, by name. */
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
  sessionReadOnly: {
    code: ErrorCode.SessionReadOnly,
    status: 409,
    title: 'Session read-only here',
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

/** One reason a request was refused, pointing at the offending part of the request. */
export const ProblemFieldError = Type.Object({
  path: Type.String({ description: 'JSON pointer into the request part, e.g. /body/port' }),
  message: Type.String(),
});

/** RFC 9457 problem details, with tcplab's stable `code`. Sent as application/problem+json. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the problem type: urn:tcplab:problem:<code>' }),
    title: Type.String({ description: 'A short summary of the problem type' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable, machine-readable error code' }),
    detail: Type.Optional(Type.String({ description: 'What went wrong with this request' })),
    instance: Type.Optional(Type.String({ description: 'The request path' })),
    errors: Type.Optional(Type.Array(ProblemFieldError)),
    limit: Type.Optional(
      Type.String({ description: 'LIMIT_REACHED: the limit, e.g. maxSessions (see Limits)' }),
    ),
    value: Type.Optional(Type.Integer({ description: 'LIMIT_REACHED: the value of that limit' })),
  },
  {
    $id: 'Problem',
    examples: [
      {
        type: 'urn:tcplab:problem:VALIDATION_FAILED',
        title: 'Request does not match the schema',
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: 'body/port must be <= 65535',
        instance: '/v1/sessions/0b6f.../endpoints',
        errors: [{ path: '/body/port', message: 'must be <= 65535' }],
      },
    ],
  },
);

export type Problem = Static<typeof Problem>;

/** The media type of every error response (RFC 9457 §3). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** 409: a call TCP refuses, with the endpoint's state when the refusal depends on it. */
export const SocketProblem = Type.Object(
  {
    ...Problem.properties,
    state: Type.Optional(Type.String({ description: "The endpoint's state when it refused" })),
  },
  {
    $id: 'SocketProblem',
    examples: [
      {
        type: 'urn:tcplab:problem:ENOTCONN',
        title: 'Not connected',
        status: 409,
        code: 'ENOTCONN',
        detail: 'send is not possible in CLOSED (e2)',
        instance: '/v1/sessions/0b6f.../endpoints/e2/send',
        state: 'CLOSED',
      },
    ],
  },
);

const PROBLEMS_BY_CODE = new Map<string, ProblemInit>(
  Object.values(Problems).map((problem) => [problem.code, problem]),
);

/** The catalogue's entry for a code, if it has one. */
export function problemOfCode(code: string): ProblemInit | undefined {
  return PROBLEMS_BY_CODE.get(code);
}
