/** /v1/sessions/:sid/segments and /events: the stored trace, paged by eventId. */
import type { EventList, EventQuery, PageQuery, SegmentList, TraceEvent } from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

/**
 * A trace event with the fields of its kind (state: from, to, cause; app: event, bytes, error
 * ...). The contract names only the fields every kind has; the others are there, typed unknown.
 */
export type AnyTraceEvent = TraceEvent & Record<string, unknown>;

/** A page of events: pass `nextAfter` as `after` for the next one. */
export interface EventPage extends Omit<EventList, 'items'> {
  items: AnyTraceEvent[];
}

export interface TraceApi {
  /**
   * GET /v1/sessions/:sid/segments?after=&limit=: segments on the links, in order, with their
   * fate. Pass `nextAfter` as `after` for the next page; an empty page is the end.
   */
  segments(sessionId: string, query?: PageQuery): Promise<SegmentList>;
  /** GET /v1/sessions/:sid/events?after=&limit=&kind=: every kind of trace event, paged alike. */
  events(sessionId: string, query?: EventQuery): Promise<EventPage>;
  /**
   * GET /v1/sessions/:sid/trace.pcapng: the segments as a pcapng capture (write it to a
   * `.pcapng` file and open it in Wireshark).
   */
  pcapng(sessionId: string): Promise<Uint8Array>;
}

export function traceApi(rest: Rest): TraceApi {
  return {
    segments: (sid, query = {}) =>
      rest({ method: 'GET', path: path`/v1/sessions/${sid}/segments`, query: { ...query } }),
    events: (sid, query = {}) =>
      rest({ method: 'GET', path: path`/v1/sessions/${sid}/events`, query: { ...query } }),
    pcapng: (sid) =>
      rest({
        method: 'GET',
        path: path`/v1/sessions/${sid}/trace.pcapng`,
        bytes: 'application/x-pcapng',
      }),
  };
}
