/** /v1/sessions/:sid/segments and /events: the stored trace, paged by eventId. */
import {
  EventList,
  EventQuery,
  PageQuery,
  Problem,
  SegmentList,
  SessionParams,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { listEvents, listSegments } from '../runtime/trace-reads.js';

const DEFAULT_LIMIT = 100;
const errors = { 400: Problem, 404: Problem };

const trace: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.get(
    '/v1/sessions/:sid/segments',
    {
      schema: {
        tags: ['trace'],
        summary: 'Segments on the links, in order, with their fate',
        params: SessionParams,
        querystring: PageQuery,
        response: { 200: SegmentList, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const after = request.query.after ?? 0;
      const items = await app.runtime.readTrace(session, (upTo) =>
        listSegments(app.db.prisma, session.record.id, {
          after,
          upTo,
          limit: request.query.limit ?? DEFAULT_LIMIT,
        }),
      );
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  app.get(
    '/v1/sessions/:sid/events',
    {
      schema: {
        tags: ['trace'],
        summary: 'Trace events (state, segment, timer, metrics, congestion, link, app), in order',
        params: SessionParams,
        querystring: EventQuery,
        response: { 200: EventList, ...errors },
      },
    },
    async (request) => {
      const session = await app.runtime.get(request.tenantId, request.params.sid);
      const after = request.query.after ?? 0;
      const items = await app.runtime.readTrace(session, (upTo) =>
        listEvents(app.db.prisma, session.record.id, {
          after,
          upTo,
          limit: request.query.limit ?? DEFAULT_LIMIT,
          kind: request.query.kind,
        }),
      );
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  done();
};

export default trace;
