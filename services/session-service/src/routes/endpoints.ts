/** /v1/sessions/:sid/endpoints: create, read, and the user calls of RFC 9293 §3.10. */
import {
  Connect,
  CreateEndpoint,
  Endpoint,
  EndpointList,
  EndpointOptionsChange,
  EndpointParams,
  Problem,
  Receive,
  ReceiveResult,
  Send,
  SendResult,
  SessionParams,
  SocketProblem,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { ApiProblem, Problems } from '../errors.js';
import type { SessionCommand } from '@tcplab/session-core';
import type { LiveSession } from '../runtime/live-session.js';
import {
  refuseReceiveWithoutConnection,
  toApiProblem,
  type SocketCall,
} from '../runtime/socket-errors.js';
import { endpointView } from '@tcplab/session-core';

/** What a receive returns at most when the request does not say (1 MiB). */
const DEFAULT_RECEIVE_MAX = 1 << 20;

const errors = { 400: Problem, 404: Problem, 409: SocketProblem, 503: Problem };

const endpoints: FastifyPluginCallbackTypebox = (app, _options, done) => {
  /** The endpoint's state, or 404 when the session has no such endpoint. */
  function stateOf(session: LiveSession, eid: string): { state: string; hasRemote: boolean } {
    if (!session.sim.endpointIds().includes(eid)) {
      throw new ApiProblem(Problems.notFound, `no endpoint ${eid} in session ${session.record.id}`);
    }
    const info = session.sim.endpointInfo(eid);
    return { state: info.state, hasRemote: info.remote !== undefined };
  }

  /** Runs a user call as a command; a refusal becomes its socket error. */
  async function call(
    session: LiveSession,
    eid: string,
    call: SocketCall,
    command: SessionCommand,
  ) {
    let state: string | undefined;
    return app.runtime.execute(
      session,
      command,
      (error) => toApiProblem(error, call, state),
      () => {
        const known = stateOf(session, eid);
        state = known.state;
        if (call === 'receive') refuseReceiveWithoutConnection(known.state, known.hasRemote);
      },
    );
  }

  app.post(
    '/v1/sessions/:sid/endpoints',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['endpoints'],
        summary: 'Create an endpoint (a socket on a host), in CLOSED',
        params: SessionParams,
        body: CreateEndpoint,
        response: { 201: Endpoint, ...errors },
      },
    },
    async (request, reply) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const result = await app.runtime.execute(
        session,
        { kind: 'addEndpoint', spec: request.body },
        (error) => toApiProblem(error, 'create', undefined),
      );
      if (result.kind !== 'endpoint') throw new Error('addEndpoint made no endpoint');
      return reply.code(201).send(endpointView(session.sim, result.endpointId));
    },
  );

  app.get(
    '/v1/sessions/:sid/endpoints',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['endpoints'],
        summary: 'List the endpoints, including those listeners accepted',
        params: SessionParams,
        response: { 200: EndpointList, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      return app.runtime.read(session, () => ({
        items: session.sim.endpointIds().map((id) => endpointView(session.sim, id)),
      }));
    },
  );

  app.get(
    '/v1/sessions/:sid/endpoints/:eid',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['endpoints'],
        summary: 'Read an endpoint: state, TCB, timers, buffers',
        params: EndpointParams,
        response: { 200: Endpoint, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      return app.runtime.read(session, () => {
        stateOf(session, request.params.eid);
        return endpointView(session.sim, request.params.eid);
      });
    },
  );

  app.patch(
    '/v1/sessions/:sid/endpoints/:eid',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['endpoints'],
        summary: 'Change options of a live endpoint from now on, as setsockopt() does',
        description:
          'The body names the options to change and nothing else (an option chosen only when ' +
          'the endpoint is made, such as congestion, is a 400). nagle (TCP_NODELAY), cork, ' +
          'pushFlag, userTimeoutMs, sndBuffer, rcvBuffer and keepalive change at any time; mss, ' +
          'windowScale, sack, timestamps and isn only while the endpoint is CLOSED or LISTEN: ' +
          'once it connects, 409 EINVAL names each in `errors`, and nothing changes. A change ' +
          'to a listener reaches the connections it accepts afterwards. Answers the endpoint ' +
          'with `options` as now in force.',
        params: EndpointParams,
        body: EndpointOptionsChange,
        response: { 200: Endpoint, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { eid } = request.params;
      await call(session, eid, 'setOptions', {
        kind: 'setOptions',
        endpointId: eid,
        options: request.body,
      });
      return endpointView(session.sim, eid);
    },
  );

  const simpleCalls = ['listen', 'shutdown', 'close', 'abort'] as const;
  const summaries: Record<(typeof simpleCalls)[number], string> = {
    listen: 'Passive OPEN: wait for connections (RFC 9293 §3.10.1)',
    shutdown:
      'CLOSE of RFC 9293 (shutdown(SHUT_WR)): send a FIN after what is queued; keep receiving',
    close: "A kernel's close(): FIN after the data, RST if unread data is left or more arrives",
    abort: 'ABORT (RFC 9293 §3.10.5): send a RST and forget the connection',
  };
  for (const name of simpleCalls) {
    app.post(
      `/v1/sessions/:sid/endpoints/:eid/${name}`,
      {
        config: { access: Access.drive },
        schema: {
          tags: ['endpoints'],
          summary: summaries[name],
          params: EndpointParams,
          response: { 200: Endpoint, ...errors },
        },
      },
      async (request) => {
        const session = await app.runtime.get(request.tenantId, request.params.sid);
        const { eid } = request.params;
        await call(session, eid, name, { kind: name, endpointId: eid });
        return endpointView(session.sim, eid);
      },
    );
  }

  app.post(
    '/v1/sessions/:sid/endpoints/:eid/connect',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['endpoints'],
        summary: 'Active OPEN: send a SYN to the remote address and port',
        params: EndpointParams,
        body: Connect,
        response: { 200: Endpoint, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { eid } = request.params;
      await call(session, eid, 'connect', {
        kind: 'connect',
        endpointId: eid,
        remote: request.body.remote,
      });
      return endpointView(session.sim, eid);
    },
  );

  app.post(
    '/v1/sessions/:sid/endpoints/:eid/send',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['endpoints'],
        summary: 'SEND: queue text, base64 bytes or n generated bytes',
        params: EndpointParams,
        body: Send,
        response: { 200: SendResult, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { eid } = request.params;
      const result = await call(session, eid, 'send', {
        kind: 'send',
        endpointId: eid,
        data: request.body,
      });
      return { accepted: result.kind === 'sent' ? result.accepted : 0 };
    },
  );

  app.post(
    '/v1/sessions/:sid/endpoints/:eid/receive',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['endpoints'],
        summary: 'RECEIVE: read what has arrived in order (at most max bytes, default 1 MiB)',
        params: EndpointParams,
        body: Receive,
        response: { 200: ReceiveResult, ...errors },
      },
      // No body at all means the defaults, like an empty object (a JSON null is refused).
      preValidation: (request, _reply, next) => {
        if (request.body === undefined) request.body = {};
        next();
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const { eid } = request.params;
      const result = await call(session, eid, 'receive', {
        kind: 'receive',
        endpointId: eid,
        max: request.body.max ?? DEFAULT_RECEIVE_MAX,
      });
      if (result.kind !== 'received') throw new Error('receive returned no data');
      const bytes = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.length);
      return {
        bytes: bytes.length,
        data: bytes.toString('utf8'),
        base64: bytes.toString('base64'),
        eof: result.eof,
      };
    },
  );

  done();
};

export default endpoints;
