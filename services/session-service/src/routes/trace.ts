/**
 * /v1/sessions/:sid/segments and /events: the stored trace, paged by eventId; trace.pcapng:
 * the segments as a capture file for Wireshark.
 */
import {
  EventList,
  EventQuery,
  PageQuery,
  Problem,
  SegmentList,
  SessionParams,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { listEvents, listSegments, pcapngOf } from '../runtime/trace-reads.js';

/** pcapng's media type as Wireshark and libpcap name it (none is registered with IANA). */
const PCAPNG_MEDIA_TYPE = 'application/x-pcapng';

const DEFAULT_LIMIT = 100;
const errors = { 400: Problem, 404: Problem };

const trace: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.get(
    '/v1/sessions/:sid/segments',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['trace'],
        summary: 'Segments on the links, in order, with their fate',
        params: SessionParams,
        querystring: PageQuery,
        response: { 200: SegmentList, ...errors },
      },
    },
    async (request) => {
      const { sid } = request.params;
      const upTo = await app.runtime.traceBound(request.tenantId, sid);
      const after = request.query.after ?? 0;
      const items = await listSegments(app.db.prisma, sid, {
        after,
        upTo,
        limit: request.query.limit ?? DEFAULT_LIMIT,
      });
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  app.get(
    '/v1/sessions/:sid/events',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['trace'],
        summary: 'Trace events (state, segment, timer, metrics, congestion, link, app), in order',
        params: SessionParams,
        querystring: EventQuery,
        response: { 200: EventList, ...errors },
      },
    },
    async (request) => {
      const { sid } = request.params;
      const upTo = await app.runtime.traceBound(request.tenantId, sid);
      const after = request.query.after ?? 0;
      const items = await listEvents(app.db.prisma, sid, {
        after,
        upTo,
        limit: request.query.limit ?? DEFAULT_LIMIT,
        kind: request.query.kind,
      });
      return { items, nextAfter: items.at(-1)?.eventId ?? after };
    },
  );

  app.get(
    '/v1/sessions/:sid/trace.pcapng',
    {
      config: { access: Access.readSession },
      schema: {
        tags: ['trace'],
        summary:
          'The segments as a pcapng capture (IPv4 + TCP, one interface per link, virtual time; ' +
          'payloads are zeros, dropped segments carry a comment)',
        params: SessionParams,
        response: {
          // A stream of the file's bytes (the schema documents it; nothing serialises it).
          200: Type.Unsafe<Readable>({
            type: 'string',
            format: 'binary',
            description: `A pcapng file (${PCAPNG_MEDIA_TYPE})`,
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { sid } = request.params;
      // The stored trace is complete up to `upTo`, and stays so: the file ends there.
      const upTo = await app.runtime.traceBound(request.tenantId, sid);
      return reply
        .type(PCAPNG_MEDIA_TYPE)
        .header('content-disposition', `attachment; filename="tcplab-${sid}.pcapng"`)
        .send(Readable.from(pcapngOf(app.db.prisma, sid, upTo)));
    },
  );

  done();
};

export default trace;
