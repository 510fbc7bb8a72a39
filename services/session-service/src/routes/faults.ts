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
import { parseFlags, type FaultMatch, type FaultRule, type TcpOptions } from '@tcplab/engine';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiProblem, Problems } from '../errors.js';
import type { LiveSession } from '../runtime/runtime.js';

const errors = { 400: Problem, 404: Problem, 503: Problem };
/** A command can also meet a limit (LIMIT_REACHED). */
const commandErrors = { ...errors, 409: Problem };

type Party = string | { address: string; port: number };

/** An endpoint id names its address and port as they are now; 404 if there is no such endpoint. */
function resolve(session: LiveSession, party: Party | undefined) {
  if (party === undefined || typeof party !== 'string') return party;
  if (!session.sim.endpointIds().includes(party)) {
    throw new ApiProblem(Problems.notFound, `no endpoint ${party} in session ${session.record.id}`);
  }
  return session.sim.endpointInfo(party).local;
}

function checkFlags(flags: string | undefined): void {
  if (flags !== undefined && parseFlags(flags) === undefined) {
    throw new ApiProblem(Problems.validationFailed, `"${flags}" is not a set of tcpdump flags`, {
      errors: [{ path: '/body/flags', message: 'is not a set of tcpdump flags' }],
    });
  }
}

function faultView(rule: FaultRule): Fault {
  return {
    id: rule.id,
    match: rule.match,
    action: rule.action,
    ...(rule.delayMs === undefined ? {} : { delayMs: rule.delayMs }),
    seen: rule.seen,
    applied: rule.applied,
  };
}

const faults: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/v1/sessions/:sid/faults',
    {
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
      const { match, action, delayMs } = request.body;
      if (action === 'delay' && delayMs === undefined) {
        throw new ApiProblem(Problems.validationFailed, 'a delay rule needs delayMs', {
          errors: [{ path: '/body/delayMs', message: 'is required when action is delay' }],
        });
      }
      checkFlags(match.flags);
      const from = resolve(session, match.from);
      const to = resolve(session, match.to);
      const resolved: FaultMatch = {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(match.flags === undefined ? {} : { flags: match.flags }),
        ...(match.nth === undefined ? {} : { nth: match.nth }),
        ...(match.count === undefined ? {} : { count: match.count }),
      };
      const result = await app.runtime.execute(session, {
        kind: 'addFault',
        match: resolved,
        action,
        ...(delayMs === undefined ? {} : { delayMs }),
      });
      const id = result.kind === 'fault' ? result.faultId : '';
      const rule = session.sim.faultRules().find((f) => f.id === id);
      if (rule === undefined) throw new Error(`fault ${id} was not added`);
      return reply.code(201).send(faultView(rule));
    },
  );

  app.get(
    '/v1/sessions/:sid/faults',
    {
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
      const body = request.body;
      checkFlags(body.flags);
      if (body.data !== undefined && body.base64 !== undefined) {
        throw new ApiProblem(Problems.validationFailed, 'give data or base64, not both', {
          errors: [{ path: '/body/base64', message: 'must not be given with data' }],
        });
      }
      const payload =
        body.data === undefined
          ? (body.base64 ?? '')
          : Buffer.from(body.data, 'utf8').toString('base64');
      const result = await app.runtime.execute(session, {
        kind: 'inject',
        segment: {
          src: body.src,
          dst: body.dst,
          flags: body.flags,
          seq: body.seq,
          ack: body.ack ?? 0,
          window: body.window ?? 65_535,
          base64: payload,
          options: (body.options ?? {}) as TcpOptions,
        },
      });
      // Accepted: the segment is on the link; move the clock to see it arrive.
      return reply.code(202).send({ events: result.events });
    },
  );

  done();
};

export default faults;
