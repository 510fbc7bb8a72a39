/** Pages of a session's stored trace, as the REST lists and the realtime replay read them. */
import type { Segment as SegmentView, TraceEvent as TraceEventView } from '@tcplab/contract';
import { PcapngWriter } from '@tcplab/engine';
import type { PrismaClient } from '../generated/prisma/client.js';
import { eventView, pcapSegment, segmentEventView, segmentView } from '@tcplab/session-core';

/** Segments per database read of the pcapng export. */
const PCAPNG_PAGE = 5000;

export interface Page {
  /** Items with an eventId above this one... */
  after: number;
  /** ...and up to this one (the trace known to be stored in both tables). */
  upTo: number;
  limit: number;
}

export async function listSegments(
  prisma: PrismaClient,
  sessionId: string,
  page: Page,
): Promise<SegmentView[]> {
  const rows = await prisma.segment.findMany({
    where: { sessionId, eventId: { gt: BigInt(page.after), lte: BigInt(page.upTo) } },
    orderBy: { eventId: 'asc' },
    take: page.limit,
  });
  return rows.map(segmentView);
}

/** The session's segments up to `upTo`, as pcapng bytes, a page of segments at a time. */
export async function* pcapngOf(
  prisma: PrismaClient,
  sessionId: string,
  upTo: number,
): AsyncGenerator<Uint8Array> {
  const writer = new PcapngWriter();
  yield writer.start();
  for (let after = 0n; ;) {
    const rows = await prisma.segment.findMany({
      where: { sessionId, eventId: { gt: after, lte: BigInt(upTo) } },
      orderBy: { eventId: 'asc' },
      take: PCAPNG_PAGE,
    });
    const last = rows.at(-1);
    if (last === undefined) return;
    yield Buffer.concat(rows.map((row) => writer.segment(pcapSegment(row))));
    after = last.eventId;
  }
}

/** Trace events of every kind, or of one; segments are in their own table, merged in order. */
export async function listEvents(
  prisma: PrismaClient,
  sessionId: string,
  page: Page & { kind?: TraceEventView['kind'] | undefined },
): Promise<TraceEventView[]> {
  const { after, upTo, limit, kind } = page;
  const where = { sessionId, eventId: { gt: BigInt(after), lte: BigInt(upTo) } };
  const orderBy = { eventId: 'asc' } as const;
  // A page of every kind is the first `limit` of both tables.
  const [segments, others] = await Promise.all([
    kind === undefined || kind === 'segment'
      ? prisma.segment.findMany({ where, orderBy, take: limit })
      : [],
    kind === 'segment'
      ? []
      : prisma.traceEvent.findMany({
          where: { ...where, ...(kind === undefined ? {} : { kind }) },
          orderBy,
          take: limit,
        }),
  ]);
  return [...segments.map(segmentEventView), ...others.map(eventView)]
    .sort((a, b) => a.eventId - b.eventId)
    .slice(0, limit);
}
