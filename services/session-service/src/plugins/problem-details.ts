/**
 * Every error leaves the service as application/problem+json (RFC 9457) with a stable code:
 * schema violations, unparseable bodies, unknown routes, errors routes throw on purpose
 * (ApiProblem) and bugs (500, logged, no internals in the answer).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_MEDIA_TYPE, type ProblemFieldError } from '@tcplab/contract';
import type { Static } from 'typebox';
import { ApiProblem, problemBody, Problems, type ProblemInit } from '../errors.js';

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

function problemDetails(app: FastifyInstance, _options: unknown, done: () => void) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiProblem) {
      return send(reply, request, error.problem, error.detail, error.extensions);
    }
    const problem = classify(error);
    if (problem === Problems.internal) {
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, request, problem, 'an unexpected error occurred; the log has details');
    }
    const errors = error.validation === undefined ? {} : { errors: fieldErrors(error) };
    return send(reply, request, problem, error.message, errors);
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, Problems.notFound, `no route for ${request.method} ${request.url}`),
  );
  done();
}

export default fp(problemDetails, { name: 'tcplab-problem-details', fastify: '5.x' });
