/** /v1/sessions: create, list, read, rename or relink, delete; and the session's clock. */
import {
  ClockAction,
  ClockResult,
  CreateSession,
  Problem,
  Session,
  SessionList,
  SessionParams,
  UpdateSession,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { Type } from 'typebox';
import { ApiProblem, Problems } from '../errors.js';
import type { SessionCommand } from '@tcplab/session-core';
import type { LiveSession } from '../runtime/live-session.js';

const errors = { 400: Problem, 404: Problem, 503: Problem };

function clockResult(session: LiveSession, events: number, limited = false) {
  const next = session.sim.nextEventTime();
  return {
    nowMs: session.virtualNowUs() / 1000,
    events,
    idle: next === undefined,
    limited,
    ...(next === undefined ? {} : { nextEventMs: next / 1000 }),
  };
}

const sessions: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/v1/sessions',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['sessions'],
        summary: 'Create a session (a simulated network with its own clock)',
        body: CreateSession,
        response: { 201: Session, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.create(request.tenantId, request.body);
      // Where the new session is (RFC 9110 §15.3.2); a balancer learns from it which instance
      // runs the session (docker/haproxy.cfg).
      return reply
        .code(201)
        .header('location', `/v1/sessions/${session.record.id}`)
        .send(session.view());
    },
  );

  app.get(
    '/v1/sessions',
    {
      config: { access: Access.read },
      schema: { tags: ['sessions'], summary: 'List sessions', response: { 200: SessionList } },
    },
    async (request) => ({ items: await app.runtime.list(request.tenantId) }),
  );

  app.get(
    '/v1/sessions/:sid',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['sessions'],
        summary: 'Read a session',
        params: SessionParams,
        response: { 200: Session, ...errors },
      },
    },
    async (request) => app.runtime.view(request.tenantId, request.params.sid),
  );

  app.patch(
    '/v1/sessions/:sid',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['sessions'],
        summary: 'Rename a session or change its link settings (from now on, in virtual time)',
        params: SessionParams,
        body: UpdateSession,
        response: { 200: Session, 409: Problem, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { name, link } = request.body;
      if (link !== undefined) {
        await app.runtime.execute(session, { kind: 'setLink', link });
      }
      if (name !== undefined) await app.runtime.rename(session, name);
      return session.view();
    },
  );

  app.delete(
    '/v1/sessions/:sid',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['sessions'],
        summary: 'Delete a session with its log and trace',
        params: SessionParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      await app.runtime.remove(session);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/sessions/:sid/clock',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['clock'],
        summary: 'Move the virtual clock: one event, a span of time, or until idle (bounded)',
        params: SessionParams,
        body: ClockAction,
        response: { 200: ClockResult, 409: Problem, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const body = request.body;
      const realtime = session.record.clock.mode === 'realtime';
      if (body.action === 'play' || body.action === 'pause') {
        if (!realtime) {
          throw new ApiProblem(
            Problems.clockConflict,
            `${body.action} is for realtime sessions; a manual clock moves with step, advance and run`,
          );
        }
        if (body.action === 'play') await app.runtime.play(session, body.speed);
        else await app.runtime.pause(session);
        return clockResult(session, 0);
      }
      if (session.anchor !== undefined) {
        throw new ApiProblem(
          Problems.clockConflict,
          `the realtime clock is playing; pause it before moving it by hand (${body.action})`,
        );
      }
      if (body.action !== 'step') {
        const { maxRequestMs } = await app.runtime.limitsFor(request.tenantId);
        const [field, ms] = body.action === 'advance' ? ['ms', body.ms] : ['maxMs', body.maxMs];
        if (ms > maxRequestMs) {
          throw new ApiProblem(
            Problems.validationFailed,
            `one request moves the clock at most ${maxRequestMs} ms (maxRequestMs)`,
            { errors: [{ path: `/body/${field}`, message: `must be <= ${maxRequestMs}` }] },
          );
        }
      }
      const command: SessionCommand =
        body.action === 'step'
          ? { kind: 'step' }
          : body.action === 'advance'
            ? { kind: 'advance', ms: body.ms }
            : { kind: 'run', maxMs: body.maxMs };
      const result = await app.runtime.execute(session, command);
      return clockResult(session, result.events, result.kind === 'clock' && result.limited);
    },
  );

  done();
};

export default sessions;
