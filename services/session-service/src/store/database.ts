/**
 * The service's handle on Postgres: one pg pool, shared by the Prisma client (through
 * @prisma/adapter-pg) and by the few raw queries Prisma does not cover (migrations, the
 * command log, readiness); and a small pool of its own for writing traces behind the
 * commands, whose COPYs of a long clock move hold a connection for a second or more: with one
 * pool, a few sessions moving at once took every connection, and another tenant's request
 * waited for one.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { DEFAULT_LEASE_MS, DEFAULT_TRACE_CONNECTIONS } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';

export interface Database {
  pool: pg.Pool;
  prisma: PrismaClient;
  /** Connections that write trace events (runtime/trace-store.ts), and nothing else. */
  tracePool: pg.Pool;
  /** Closes Prisma, then the pools; safe to call more than once. */
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

export interface OpenDatabaseOptions {
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /**
   * Connections in the pool that writes traces (default 1): how many sessions' traces are
   * written at once, and so how much of the database's time trace writing can take from
   * requests (TCPLAB_TRACE_CONNECTIONS).
   */
  maxTraceConnections?: number;
  /** How long to wait for a connection at open (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * How long the server lets a transaction of ours wait for its next statement before it ends
   * it (default 5 s, the lease's length: TCPLAB_LEASE_MS). An instance paused (GC, SIGSTOP) in
   * the middle of a write holds the lease row it fenced on: the server so frees it, and another
   * instance can take the session, as soon as the lease itself has lapsed.
   */
  idleInTransactionMs?: number;
}

/**
 * A trace batch's statements end after this long: a paused instance in the middle of one holds
 * its session's lease row, and another waits for it. The largest batch (a move of
 * maxEventsPerRequest, a million events) takes some 12 s to COPY: well inside.
 */
const TRACE_STATEMENT_TIMEOUT_MS = 120_000;

/** Opens a pool on `url` and checks that the server answers. */
export async function openDatabase(
  url: string,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  const idleInTransaction = options.idleInTransactionMs ?? DEFAULT_LEASE_MS;
  const pool = quietPool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: idleInTransaction,
  });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnreachableError(
      `cannot reach the database at ${redactUrl(url)}: ${describeError(error)}`,
    );
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const tracePool = quietPool({
    connectionString: url,
    max: options.maxTraceConnections ?? DEFAULT_TRACE_CONNECTIONS,
    // Batches of several sessions queue here for their turn, each holding its connection
    // for a second or more: waiting, however long, is not a failure. (A database that cannot
    // be reached still fails the connection attempt, and so the batch.)
    connectionTimeoutMillis: 0,
    idle_in_transaction_session_timeout: idleInTransaction,
    statement_timeout: TRACE_STATEMENT_TIMEOUT_MS,
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await prisma.$disconnect();
      await Promise.all([pool.end(), tracePool.end()]);
    })());
  return { pool, prisma, tracePool, close };
}

/** A pool whose connections' errors reach the query under way, never the process. */
function quietPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  // An idle client that loses its server (restart, network) must not crash the process:
  // the pool drops it and the next query reports the problem.
  pool.on('error', () => undefined);
  // Nor may a client held out of the pool between queries (socket.io's adapter holds one for
  // LISTEN): a query under way rejects with the error, and the holder hears 'end' and
  // reconnects; without a listener, the 'error' event alone would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * The first statement of a transaction that writes a session: refuses, by throwing, unless
 * this instance still holds the session (cluster/leases.ts).
 */
export type Fence = (client: pg.PoolClient) => Promise<void>;

/** Runs `work` on one pooled connection in a transaction: committed if it resolves, else rolled back. */
export async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
