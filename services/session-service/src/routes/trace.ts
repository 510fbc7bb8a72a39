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
import { eventView, segmentView } from '../runtime/views.js';

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
      const rows = await app.runtime.read(session, () =>
        app.db.prisma.segment.findMany({
          where: { sessionId: session.record.id, eventId: { gt: BigInt(after) } },
          orderBy: { eventId: 'asc' },
          take: request.query.limit ?? DEFAULT_LIMIT,
        }),
      );
      const items = rows.map(segmentView);
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
      const rows = await app.runtime.read(session, () =>
        app.db.prisma.traceEvent.findMany({
          where: {
            sessionId: session.record.id,
            eventId: { gt: BigInt(after) },
            ...(request.query.kind === undefined ? {} : { kind: request.query.kind }),
          },
          orderBy: { eventId: 'asc' },
          take: request.query.limit ?? DEFAULT_LIMIT,
        }),
      );
      const items = rows.map(eventView);
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  done();
};

export default trace;
