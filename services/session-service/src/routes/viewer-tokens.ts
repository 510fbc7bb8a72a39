/**
 * /v1/sessions/:sid/viewer-tokens: the classroom link. An instructor mints a token for one
 * session; its holder watches that session live over socket.io until it expires or is revoked.
 * Revoking one disconnects whoever watches with it, on every instance.
 */
import {
  CreatedViewerToken,
  CreateViewerToken,
  DEFAULT_VIEWER_TOKEN_SECONDS,
  Problem,
  SessionParams,
  ViewerTokenList,
  ViewerTokenParams,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { Type } from 'typebox';
import {
  createViewerToken,
  listViewerTokens,
  revokeViewerToken,
  viewerTokenView,
} from '../auth/viewer-tokens.js';
import { ApiProblem, Problems } from '../errors.js';
import { viewerRoom } from '../realtime/plugin.js';

const errors = { 400: Problem, 403: Problem, 404: Problem };

const viewerTokens: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.post(
    '/v1/sessions/:sid/viewer-tokens',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['viewer tokens'],
        summary: 'Mint a viewer token: watch this session live over socket.io, and nothing else',
        params: SessionParams,
        body: CreateViewerToken,
        response: { 201: CreatedViewerToken, ...errors },
      },
    },
    async (request, reply) => {
      const { sid } = request.params;
      await app.runtime.stored(request.tenantId, sid);
      const seconds = request.body.expiresInSeconds ?? DEFAULT_VIEWER_TOKEN_SECONDS;
      const { row, token } = await createViewerToken(app.db.prisma, {
        sessionId: sid,
        name: request.body.name ?? 'viewer',
        expiresAt: new Date(Date.now() + seconds * 1000),
      });
      return reply.code(201).send({ ...viewerTokenView(row), token });
    },
  );

  app.get(
    '/v1/sessions/:sid/viewer-tokens',
    {
      config: { access: Access.read },
      schema: {
        tags: ['viewer tokens'],
        summary: "The session's viewer tokens, revoked and expired ones too (without secrets)",
        params: SessionParams,
        response: { 200: ViewerTokenList, ...errors },
      },
    },
    async (request) => {
      await app.runtime.stored(request.tenantId, request.params.sid);
      const rows = await listViewerTokens(app.db.prisma, request.params.sid);
      return { items: rows.map(viewerTokenView) };
    },
  );

  app.delete(
    '/v1/sessions/:sid/viewer-tokens/:vid',
    {
      config: { access: Access.drive },
      schema: {
        tags: ['viewer tokens'],
        summary: 'Revoke a viewer token; whoever watches with it is disconnected',
        params: ViewerTokenParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { sid, vid } = request.params;
      await app.runtime.stored(request.tenantId, sid);
      const row = await revokeViewerToken(app.db.prisma, sid, vid, new Date());
      if (row === undefined) {
        throw new ApiProblem(Problems.notFound, `no viewer token ${vid} in session ${sid}`);
      }
      app.io.in(viewerRoom(vid)).disconnectSockets(true);
      return reply.code(204).send(null);
    },
  );

  done();
};

export default viewerTokens;
