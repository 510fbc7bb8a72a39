/** /v1/sessions/:sid/segments and /events: the stored trace, paged by eventId. */
import type { EventList, EventQuery, SegmentList } from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

/** `after` (items with a greater eventId; default 0) and `limit` (1 to 1000; default 100). */
export type PageQuery = Pick<EventQuery, 'after' | 'limit'>;

export interface TraceApi {
  /**
   * GET /v1/sessions/:sid/segments?after=&limit=: segments on the links, in order, with their
   * fate. Pass `nextAfter` as `after` for the next page; an empty page is the end.
   */
  segments(sessionId: string, query?: PageQuery): Promise<SegmentList>;
  /** GET /v1/sessions/:sid/events?after=&limit=&kind=: every kind of trace event, paged alike. */
  events(sessionId: string, query?: EventQuery): Promise<EventList>;
}

export function traceApi(rest: Rest): TraceApi {
  return {
    segments: (sid, query = {}) =>
      rest({ method: 'GET', path: path`/v1/sessions/${sid}/segments`, query: { ...query } }),
    events: (sid, query = {}) =>
      rest({ method: 'GET', path: path`/v1/sessions/${sid}/events`, query: { ...query } }),
  };
}
