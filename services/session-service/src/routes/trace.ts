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
import { eventView, segmentEventView, segmentView } from '../runtime/views.js';

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
      const rows = await app.runtime.readTrace(session, () =>
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
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const kind = request.query.kind;
      const page = { sessionId: session.record.id, eventId: { gt: BigInt(after) } };
      const order = { eventId: 'asc' } as const;
      // Segments are in their own table: a page of every kind is the first `limit` of both.
      const [segments, others] = await app.runtime.readTrace(session, () =>
        Promise.all([
          kind === undefined || kind === 'segment'
            ? app.db.prisma.segment.findMany({ where: page, orderBy: order, take: limit })
            : [],
          kind === 'segment'
            ? []
            : app.db.prisma.traceEvent.findMany({
                where: { ...page, ...(kind === undefined ? {} : { kind }) },
                orderBy: order,
                take: limit,
              }),
        ]),
      );
      const items = [...segments.map(segmentEventView), ...others.map(eventView)]
        .sort((a, b) => a.eventId - b.eventId)
        .slice(0, limit);
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  done();
};

export default trace;
