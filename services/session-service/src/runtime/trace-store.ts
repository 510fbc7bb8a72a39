/**
 * A session's trace in Postgres (the tables and their rows: trace-rows.ts). Large batches go
 * in with `COPY ... FROM STDIN` (pg-copy-streams), which Postgres takes in about twice as fast
 * as a multi-row INSERT; a handful of rows as one INSERT from arrays.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TraceEvent } from '@tcplab/engine';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { transaction, type Fence } from '../store/database.js';
import {
  copyLines,
  SEGMENTS,
  splitTrace,
  TRACE_EVENTS,
  type Table,
  type TraceRows,
} from './trace-rows.js';

/**
 * Writes a batch of consecutive trace events of one session, made into rows: its other events
 * and its segments, in one transaction on one connection (a writer holding one connection
 * while it waits for a second could wait forever for another writer doing the same). Batches
 * follow one another, so each table holds a prefix of its rows.
 */
export async function writeTrace(pool: Pool, rows: TraceRows, fence: Fence): Promise<void> {
  await inTransaction(pool, async (client) => {
    await fence(client);
    await copyRows(client, TRACE_EVENTS, rows.others);
    await copyRows(client, SEGMENTS, rows.segments);
  });
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

/** Writes trace events into their tables, inside the caller's transaction. */
export async function insertTrace(
  client: PoolClient,
  sessionId: string,
  events: readonly TraceEvent[],
): Promise<void> {
  const { segments, others } = splitTrace(events);
  await insertRows(client, TRACE_EVENTS, sessionId, others);
  await insertRows(client, SEGMENTS, sessionId, segments);
}

/**
 * Rows of a batch of up to this many go in as one INSERT from arrays: for a handful of rows a
 * COPY's stream costs more than it saves.
 */
const INSERT_ROWS = 100;

async function insertRows<T>(
  client: PoolClient,
  table: Table<T>,
  sessionId: string,
  items: readonly T[],
): Promise<void> {
  if (items.length === 0) return;
  if (items.length > INSERT_ROWS) {
    await copyRows(client, table, [Buffer.from(copyLines(table, sessionId, items))]);
    return;
  }
  const names = columnNames(table);
  const columns: (string | number | null)[][] = table.columns.map(() => []);
  for (const item of items) {
    table.row(item).forEach((value, i) => columns[i]?.push(value));
  }
  const arrays = table.columns.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
  await client.query(`INSERT INTO ${table.name} (${names}) SELECT $1, * FROM unnest(${arrays})`, [
    sessionId,
    ...columns,
  ]);
}

/** Streams COPY text into a table (nothing when there is none). */
async function copyRows<T>(client: PoolClient, table: Table<T>, text: readonly Buffer[]) {
  if (text.length === 0) return;
  await pipeline(
    Readable.from(text),
    client.query(copyFrom(`COPY ${table.name} (${columnNames(table)}) FROM STDIN`)),
  );
}

function columnNames<T>(table: Table<T>): string {
  return ['session_id', ...table.columns.map(([name]) => name)].join(', ');
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

/**
 * Up to which event id the stored trace has no gap, without the engine to say which events
 * are missing (a session read-only here). Each table holds a prefix of its events: when the
 * two hold every id up to the larger end, that end; else only up to the smaller one is sure.
 */
export async function storedPrefix(pool: Pool, sessionId: string): Promise<number> {
  const { rows } = await pool.query<{ segments: string; others: string; count: string }>(
    `SELECT (SELECT coalesce(max(event_id), 0) FROM segments WHERE session_id = $1) AS segments,
            (SELECT coalesce(max(event_id), 0) FROM trace_events WHERE session_id = $1) AS others,
            (SELECT count(*) FROM segments WHERE session_id = $1)
              + (SELECT count(*) FROM trace_events WHERE session_id = $1) AS count`,
    [sessionId],
  );
  const row = rows[0];
  const segments = Number(row?.segments ?? 0);
  const others = Number(row?.others ?? 0);
  const end = Math.max(segments, others);
  return Number(row?.count ?? 0) === end ? end : Math.min(segments, others);
}

/** Whether a regenerated event is missing from the database, given what it holds. */
export function isUnstored(
  event: TraceEvent,
  stored: { segments: number; others: number },
): boolean {
  return event.eventId > (event.kind === 'segment' ? stored.segments : stored.others);
}
