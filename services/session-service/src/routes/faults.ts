/** /v1/sessions/:sid/faults (rules that drop, delay, duplicate or corrupt) and /inject. */
import {
  CreateFault,
  Fault,
  FaultList,
  FaultParams,
  Inject,
  InjectResult,
  Problem,
  SessionParams,
} from '@tcplab/contract';
import { faultCommand, faultView, injectCommand } from '@tcplab/session-core';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { Type } from 'typebox';
import { ApiProblem, Problems } from '../errors.js';
import { problemOf } from '../runtime/socket-errors.js';

const errors = { 400: Problem, 404: Problem, 503: Problem };
/** A command can also meet a limit (LIMIT_REACHED). */
const commandErrors = { ...errors, 409: Problem };

const faults: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/v1/sessions/:sid/faults',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['faults'],
        summary: 'Add a fault rule: the nth segment (and count more) matching it is changed',
        params: SessionParams,
        body: CreateFault,
        response: { 201: Fault, ...commandErrors },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const built = faultCommand(session.sim, request.body, session.record.id);
      if ('refusal' in built) throw problemOf(built.refusal);
      const result = await app.runtime.execute(session, built.command);
      const id = result.kind === 'fault' ? result.faultId : '';
      const rule = session.sim.faultRules().find((f) => f.id === id);
      if (rule === undefined) throw new Error(`fault ${id} was not added`);
      return reply.code(201).send(faultView(rule));
    },
  );

  app.get(
    '/v1/sessions/:sid/faults',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['faults'],
        summary: 'The fault rules in force, with what each has seen and affected',
        params: SessionParams,
        response: { 200: FaultList, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      return app.runtime.read(session, () => ({ items: session.sim.faultRules().map(faultView) }));
    },
  );

  app.delete(
    '/v1/sessions/:sid/faults/:fid',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['faults'],
        summary: 'Remove a fault rule',
        params: FaultParams,
        response: { 204: Type.Null(), ...commandErrors },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { fid } = request.params;
      await app.runtime.execute(session, { kind: 'removeFault', faultId: fid }, undefined, () => {
        if (!session.sim.faultRules().some((f) => f.id === fid)) {
          throw new ApiProblem(
            Problems.notFound,
            `no fault ${fid} in session ${session.record.id}`,
          );
        }
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/sessions/:sid/inject',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['faults'],
        summary: 'Send a hand-made segment through the links, as a peer would',
        params: SessionParams,
        body: Inject,
        response: { 202: InjectResult, ...commandErrors },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const built = injectCommand(request.body);
      if ('refusal' in built) throw problemOf(built.refusal);
      const result = await app.runtime.execute(session, built.command);
      // Accepted: the segment is on the link; move the clock to see it arrive.
      return reply.code(202).send({ events: result.events });
    },
  );

  done();
};

export default faults;
