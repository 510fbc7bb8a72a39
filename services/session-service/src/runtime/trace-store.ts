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

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/** Rows per chunk handed to the COPY stream. */
const ROWS_PER_CHUNK = 2000;

/** Writes a batch of consecutive trace events of one session in one transaction. */
export async function writeTrace(
  pool: Pool,
  sessionId: string,
  events: readonly TraceEvent[],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The command log alone is what must survive a crash: the trace is regenerated from it
    // (SessionRuntime.replay), so its commits need not wait for the disk. What a crash can lose
    // this way is the end of the WAL, so the stored trace stays a prefix with no holes.
    await client.query('SET LOCAL synchronous_commit = off');
    const segments: SegmentEvent[] = [];
    const others: Exclude<TraceEvent, SegmentEvent>[] = [];
    for (const e of events) {
      if (e.kind === 'segment') segments.push(e);
      else others.push(e);
    }
    await copyRows(
      client,
      'COPY trace_events (session_id, event_id, time_us, kind, endpoint_id, payload) FROM STDIN',
      others,
      (e) => {
        // The payload is the event without the fields that have columns.
        const { eventId, timeUs, kind, endpointId, ...rest } = e as typeof e & {
          endpointId?: string;
        };
        return `${sessionId}\t${eventId}\t${timeUs}\t${kind}\t${text(endpointId)}\t${text(JSON.stringify(rest))}\n`;
      },
    );
    await copyRows(
      client,
      `COPY segments (session_id, event_id, time_us, endpoint_id, src_address, src_port,
         dst_address, dst_port, flags, seq, ack, len, "window", options, fate, reason, arrives_us)
       FROM STDIN`,
      segments,
      (s) =>
        `${sessionId}\t${s.eventId}\t${s.timeUs}\t${text(s.endpointId)}\t${text(s.src.address)}\t${s.src.port}\t${text(s.dst.address)}\t${s.dst.port}\t${text(s.flags)}\t${s.seq}\t${s.ack}\t${s.len}\t${s.window}\t${text(JSON.stringify(s.options))}\t${s.fate}\t${text(s.reason)}\t${s.arrivesUs ?? '\\N'}\n`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The last trace event of a session in the database (0 when none). */
export async function lastStoredEventId(pool: Pool, sessionId: string): Promise<number> {
  const { rows } = await pool.query<{ last: string | null }>(
    `SELECT greatest((SELECT max(event_id) FROM trace_events WHERE session_id = $1),
                     (SELECT max(event_id) FROM segments WHERE session_id = $1)) AS last`,
    [sessionId],
  );
  return Number(rows[0]?.last ?? 0);
}

async function copyRows<T>(
  client: PoolClient,
  sql: string,
  rows: readonly T[],
  line: (row: T) => string,
): Promise<void> {
  if (rows.length === 0) return;
  function* chunks() {
    for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) {
      let chunk = '';
      const end = Math.min(rows.length, i + ROWS_PER_CHUNK);
      for (let j = i; j < end; j++) chunk += line(rows[j] as T);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

const SPECIAL = /[\\\t\n\r]/;

/** A value in COPY's text format: \N for null, and backslash, tab and newlines escaped. */
function text(value: string | undefined): string {
  if (value === undefined) return '\\N';
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
