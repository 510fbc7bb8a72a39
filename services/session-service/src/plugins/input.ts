/**
 * Input at the edge, before any schema or route sees it: every string of a request's path
 * parameters, query and body is text tcplab can store (support/well-formed.ts), or the request
 * is refused 400 VALIDATION_FAILED naming the field.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiProblem, Problems } from '../errors.js';
import { findIllFormedText } from '../support/well-formed.js';

function input(app: FastifyInstance, _options: unknown, done: () => void) {
  app.addHook('preValidation', (request, _reply, next) => {
    const parts = { params: request.params, querystring: request.query, body: request.body };
    for (const [part, value] of Object.entries(parts)) {
      const found = findIllFormedText(value, `/${part}`);
      if (found !== undefined) {
        next(
          new ApiProblem(Problems.validationFailed, `${found.path.slice(1)} ${found.message}`, {
            errors: [found],
          }),
        );
        return;
      }
    }
    next();
  });
  done();
}

export default fp(input, { name: 'tcplab-input', fastify: '5.x' });
