/**
 * Trace events as rows of the two trace tables: segments as queryable columns in `segments`,
 * every other event in `trace_events` (its payload as JSON). `rowsOf` makes a batch into the
 * text of COPY ... FROM STDIN (tab-separated), held in Buffers: outside the JavaScript heap,
 * so that a long clock move's events can be made into rows slice by slice as the engine
 * produces them and die young, instead of surviving, hundreds of thousands at a time, the
 * garbage collections of the seconds until they are written (each such collection copies
 * them, with every request waiting).
 */
import type { TraceEvent } from '@tcplab/engine';

export type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;
export type OtherEvent = Exclude<TraceEvent, SegmentEvent>;
type Value = string | number | null;

/**
 * A table a trace event becomes a row of: its columns after `session_id` (the same in every
 * row of a batch) with their types, and the row's values for them.
 */
export interface Table<T> {
  name: string;
  columns: readonly (readonly [name: string, type: string])[];
  row: (item: T) => Value[];
}

export const TRACE_EVENTS: Table<OtherEvent> = {
  name: 'trace_events',
  columns: [
    ['event_id', 'bigint'],
    ['time_us', 'bigint'],
    ['kind', 'trace_event_kind'],
    ['endpoint_id', 'text'],
    ['payload', 'json'],
  ],
  row: (e) => {
    // The payload is the event without the fields that have columns.
    const { eventId, timeUs, kind, endpointId, ...rest } = e as OtherEvent & {
      endpointId?: string;
    };
    return [eventId, timeUs, kind, endpointId ?? null, JSON.stringify(rest)];
  },
};

export const SEGMENTS: Table<SegmentEvent> = {
  name: 'segments',
  columns: [
    ['event_id', 'bigint'],
    ['time_us', 'bigint'],
    ['endpoint_id', 'text'],
    ['src_address', 'text'],
    ['src_port', 'int'],
    ['dst_address', 'text'],
    ['dst_port', 'int'],
    ['flags', 'text'],
    ['seq', 'bigint'],
    ['ack', 'bigint'],
    ['len', 'int'],
    ['"window"', 'int'],
    ['options', 'jsonb'],
    ['fate', 'segment_fate'],
    ['reason', 'text'],
    ['label', 'text'],
    ['ecn', 'text'],
    ['arrives_us', 'bigint'],
  ],
  row: (s) => [
    s.eventId,
    s.timeUs,
    s.endpointId ?? null,
    s.src.address,
    s.src.port,
    s.dst.address,
    s.dst.port,
    s.flags,
    s.seq,
    s.ack,
    s.len,
    s.window,
    JSON.stringify(s.options),
    s.fate,
    s.reason ?? null,
    s.label ?? null,
    s.ecn ?? null,
    s.arrivesUs ?? null,
  ],
};

/** Consecutive trace events of one session as COPY text for each table. */
export interface TraceRows {
  /** How many events, and the ids of the first and last (0 and 0 when none). */
  count: number;
  firstEventId: number;
  lastEventId: number;
  /** Rows of `segments` and of `trace_events`, each Buffer whole lines. */
  segments: Buffer[];
  others: Buffer[];
}

export function splitTrace(events: readonly TraceEvent[]) {
  const segments: SegmentEvent[] = [];
  const others: OtherEvent[] = [];
  for (const e of events) {
    if (e.kind === 'segment') segments.push(e);
    else others.push(e);
  }
  return { segments, others };
}

/** Consecutive events (of one session) as COPY rows. */
export function rowsOf(sessionId: string, events: readonly TraceEvent[]): TraceRows {
  const { segments, others } = splitTrace(events);
  return {
    count: events.length,
    firstEventId: events[0]?.eventId ?? 0,
    lastEventId: events.at(-1)?.eventId ?? 0,
    segments: segments.length === 0 ? [] : [Buffer.from(copyLines(SEGMENTS, sessionId, segments))],
    others: others.length === 0 ? [] : [Buffer.from(copyLines(TRACE_EVENTS, sessionId, others))],
  };
}

/** Consecutive batches of rows as one. */
export function joinRows(batches: readonly TraceRows[]): TraceRows {
  const first = batches[0];
  if (batches.length === 1 && first !== undefined) return first;
  return {
    count: batches.reduce((sum, b) => sum + b.count, 0),
    firstEventId: first?.firstEventId ?? 0,
    lastEventId: batches.at(-1)?.lastEventId ?? 0,
    segments: batches.flatMap((b) => b.segments),
    others: batches.flatMap((b) => b.others),
  };
}

/** COPY text of `items`, rows of the session `sessionId`. */
export function copyLines<T>(table: Table<T>, sessionId: string, items: readonly T[]): string {
  const prefix = `${copyText(sessionId)}\t`;
  let text = '';
  for (const item of items) text += prefix + copyFields(table.row(item));
  return text;
}

const SPECIAL = /[\\\t\n\r]/;

/** Values in COPY's text format: tab-separated, \N for null, special characters escaped. */
function copyFields(values: Value[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? null;
    const field =
      value === null ? '\\N' : typeof value === 'number' ? String(value) : copyText(value);
    line += i === 0 ? field : `\t${field}`;
  }
  return `${line}\n`;
}

/** Text in COPY's text format: backslash, tab and newlines escaped. */
function copyText(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
