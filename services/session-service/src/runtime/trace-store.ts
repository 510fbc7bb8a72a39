/**
 * A session's trace in Postgres: segments as queryable columns in `segments`, every other
 * trace event in `trace_events` (its payload as JSON). Batches go in with `COPY ... FROM
 * STDIN` (pg-copy-streams), which Postgres takes in about twice as fast as a multi-row INSERT.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TraceEvent } from '@tcplab/engine';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { transaction } from '../store/database.js';

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/** Rows per chunk handed to the COPY stream. */
const ROWS_PER_CHUNK = 500;

/**
 * Writes a batch of consecutive trace events of one session: its segments and its other events
 * at the same time, each table in a transaction of its own (two Postgres backends share the
 * work). Batches follow one another, so each table holds a prefix of its rows.
 */
export async function writeTrace(
  pool: Pool,
  sessionId: string,
  events: readonly TraceEvent[],
): Promise<void> {
  const { segments, others } = split(events);
  await Promise.all([
    inTransaction(pool, (client) => writeRows(client, TRACE_EVENTS, sessionId, others)),
    inTransaction(pool, (client) => writeRows(client, SEGMENTS, sessionId, segments)),
  ]);
}

/**
 * A transaction for trace rows. The command log alone is what must survive a crash: the trace
 * is regenerated from it (SessionRuntime.replay), so these commits need not wait for the disk.
 * What a crash can lose this way is the end of the WAL, so each table keeps a prefix of its
 * rows, with no holes.
 */
function inTransaction(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  return transaction(pool, async (client) => {
    await client.query('SET LOCAL synchronous_commit = off');
    await work(client);
  });
}

function split(events: readonly TraceEvent[]) {
  const segments: SegmentEvent[] = [];
  const others: OtherEvent[] = [];
  for (const e of events) {
    if (e.kind === 'segment') segments.push(e);
    else others.push(e);
  }
  return { segments, others };
}

/** Writes trace events into their tables, inside the caller's transaction. */
export async function insertTrace(
  client: PoolClient,
  sessionId: string,
  events: readonly TraceEvent[],
): Promise<void> {
  const { segments, others } = split(events);
  await writeRows(client, TRACE_EVENTS, sessionId, others);
  await writeRows(client, SEGMENTS, sessionId, segments);
}

type OtherEvent = Exclude<TraceEvent, SegmentEvent>;
type Value = string | number | null;

/**
 * A table a trace event becomes a row of: its columns after `session_id` (the same in every
 * row of a batch) with their types, and the row's values for them.
 */
interface Table<T> {
  name: string;
  columns: readonly (readonly [name: string, type: string])[];
  row: (item: T) => Value[];
}

const TRACE_EVENTS: Table<OtherEvent> = {
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

const SEGMENTS: Table<SegmentEvent> = {
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
    s.arrivesUs ?? null,
  ],
};

/**
 * Rows of a batch of up to this many go in as one INSERT from arrays: for a handful of rows a
 * COPY's stream costs more than it saves.
 */
const INSERT_ROWS = 100;

async function writeRows<T>(
  client: PoolClient,
  table: Table<T>,
  sessionId: string,
  items: readonly T[],
): Promise<void> {
  if (items.length === 0) return;
  const names = ['session_id', ...table.columns.map(([name]) => name)].join(', ');
  if (items.length <= INSERT_ROWS) {
    const columns: Value[][] = table.columns.map(() => []);
    for (const item of items) {
      table.row(item).forEach((value, i) => columns[i]?.push(value));
    }
    const arrays = table.columns.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
    await client.query(`INSERT INTO ${table.name} (${names}) SELECT $1, * FROM unnest(${arrays})`, [
      sessionId,
      ...columns,
    ]);
    return;
  }
  const prefix = `${text(sessionId)}\t`;
  // One chunk, then the event loop: a trace of a million rows is built as it is sent, not in
  // one block that holds up every other request.
  async function* chunks() {
    for (let i = 0; i < items.length; i += ROWS_PER_CHUNK) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      let chunk = '';
      const end = Math.min(items.length, i + ROWS_PER_CHUNK);
      for (let j = i; j < end; j++) chunk += prefix + copyFields(table.row(items[j] as T));
      yield chunk;
    }
  }
  await pipeline(
    Readable.from(chunks()),
    client.query(copyFrom(`COPY ${table.name} (${names}) FROM STDIN`)),
  );
}

/** The last segment and the last other trace event of a session in the database (0: none). */
export async function lastStoredEventIds(
  pool: Pool,
  sessionId: string,
): Promise<{ segments: number; others: number }> {
  const { rows } = await pool.query<{ segments: string | null; others: string | null }>(
    `SELECT (SELECT max(event_id) FROM segments WHERE session_id = $1) AS segments,
            (SELECT max(event_id) FROM trace_events WHERE session_id = $1) AS others`,
    [sessionId],
  );
  return { segments: Number(rows[0]?.segments ?? 0), others: Number(rows[0]?.others ?? 0) };
}

/** Whether a regenerated event is missing from the database, given what it holds. */
export function isUnstored(
  event: TraceEvent,
  stored: { segments: number; others: number },
): boolean {
  return event.eventId > (event.kind === 'segment' ? stored.segments : stored.others);
}

const SPECIAL = /[\\\t\n\r]/;

/** Values in COPY's text format: tab-separated, \N for null, special characters escaped. */
function copyFields(values: Value[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? null;
    const field = value === null ? '\\N' : typeof value === 'number' ? String(value) : text(value);
    line += i === 0 ? field : `\t${field}`;
  }
  return `${line}\n`;
}

/** Text in COPY's text format: backslash, tab and newlines escaped. */
function text(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
