/**
 * Every error leaves the service as application/problem+json (RFC 9457) with a stable code:
 * schema violations, unparseable bodies, unknown routes, errors routes throw on purpose
 * (ApiProblem) and bugs (500, logged, no internals in the answer); and those fastify or Node
 * answer before any route is found (a URL that does not decode, a path parameter too long,
 * headers too large), through `frameworkErrors` and `clientErrorHandler` below.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { PROBLEM_MEDIA_TYPE, type ProblemFieldError } from '@tcplab/contract';
import type { Static } from 'typebox';
import { ApiProblem, problemBody, Problems, type ProblemInit } from '../errors.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { API_HEADERS } from './protection.js';

/** Seconds a client is asked to wait before retrying a 503 (the database away, say). */
const NOT_READY_RETRY_AFTER_S = 5;

/** The security headers every answer carries (protection.ts), for those written before routing. */
const securityHeaders = helmet(API_HEADERS);

/** The same headers as raw `Name: value` lines, for an answer written straight to a socket. */
const securityHeaderLines: string = (() => {
  const lines: string[] = [];
  const collect = {
    setHeader: (name: string, value: string) => lines.push(`${name}: ${value}\r\n`),
    removeHeader: () => undefined,
  };
  securityHeaders(
    {} as Parameters<typeof securityHeaders>[0],
    collect as unknown as Parameters<typeof securityHeaders>[1],
    () => undefined,
  );
  return lines.join('');
})();

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: ProblemInit,
  detail: string | undefined,
  extra: Record<string, unknown> = {},
) {
  return reply
    .code(problem.status)
    .type(PROBLEM_MEDIA_TYPE)
    .send(problemBody(problem, detail, request.url.split('?', 1)[0] ?? request.url, extra));
}

function fieldErrors(error: FastifyError): Static<typeof ProblemFieldError>[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((issue) => {
    // An unknown field: point at it, not at the object that holds it.
    const extra = (issue.params as { additionalProperty?: unknown }).additionalProperty;
    if (issue.keyword === 'additionalProperties' && typeof extra === 'string') {
      return { path: `/${context}${issue.instancePath}/${extra}`, message: 'is not a known field' };
    }
    return { path: `/${context}${issue.instancePath}`, message: issue.message ?? 'is invalid' };
  });
}

/** Which catalogue entry a fastify or plugin error belongs to. */
function classify(error: FastifyError): ProblemInit {
  const status = error.statusCode ?? 500;
  if (error.validation !== undefined) return Problems.validationFailed;
  if (status === 413) return Problems.payloadTooLarge;
  if (status === 415) return Problems.unsupportedMediaType;
  if (status === 404) return Problems.notFound;
  if (status === 400 && error.code?.startsWith('FST_ERR_CTP_')) return Problems.malformedBody;
  if (status >= 400 && status < 500) return { ...Problems.badRequest, status };
  return Problems.internal;
}

/**
 * Answers `error` as a problem: what the error handler does, for those that answer an error
 * outside it (a forwarded request whose holder failed, plugins/forwarding.ts).
 */
export function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiProblem) {
    if (error.problem.status === 503 && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', String(NOT_READY_RETRY_AFTER_S));
    }
    return send(reply, request, error.problem, error.detail, error.extensions);
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'the database does not answer');
    reply.header('retry-after', String(NOT_READY_RETRY_AFTER_S));
    return send(reply, request, Problems.notReady, 'the database does not answer; retry shortly');
  }
  const fastifyError = error as FastifyError;
  const problem = classify(fastifyError);
  if (problem === Problems.internal) {
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, problem, 'an unexpected error occurred; the log has details');
  }
  const errors = fastifyError.validation === undefined ? {} : { errors: fieldErrors(fastifyError) };
  return send(reply, request, problem, fastifyError.message, errors);
}

function problemDetails(app: FastifyInstance, _options: unknown, done: () => void) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The session runs on another instance: the request goes there (plugins/forwarding.ts).
    if (app.hasDecorator('forwarding') && app.forwarding.takes(error)) {
      return app.forwarding.forward(error, request, reply);
    }
    return answerError(error, request, reply);
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, Problems.notFound, `no route for ${request.method} ${request.url}`),
  );
  done();
}

/** A URL that does not decode (400) or a path parameter over its length (414). */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (
  error,
  request,
  reply,
) => {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const problem = tooLong ? { ...Problems.badRequest, status: 414 } : Problems.badRequest;
  const detail = tooLong
    ? 'a path parameter is longer than any id tcplab gives'
    : 'the URL does not decode (a % not followed by two hex digits?)';
  // No hook runs for these: the security headers are set here.
  securityHeaders(request.raw, reply.raw, () => void send(reply, request, problem, detail));
};

/**
 * What Node's HTTP parser refuses before a request exists (headers too large: 431; a request
 * that times out: 408; anything unparseable: 400), answered as problem+json on the raw socket.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are larger than the service takes']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(problemBody({ ...Problems.badRequest, status }, detail, '/'));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
        `Content-Type: ${PROBLEM_MEDIA_TYPE}; charset=utf-8\r\n${securityHeaderLines}` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export default fp(problemDetails, { name: 'tcplab-problem-details', fastify: '5.x' });
