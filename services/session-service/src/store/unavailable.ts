/**
 * Whether an error says that the database could not be reached or went away (as opposed to a
 * query it refused): the answer to such a request is 503 with Retry-After, never 500, and the
 * pools reconnect by themselves once the database is back.
 */

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL's SQLSTATEs for the server going away or not taking connections: class 08
 * (connection exception), 57P01-57P03 (shutting down, crashed, starting up) and 53300 (too many
 * connections).
 */
const SERVER_CODES = /^(08\d{3}|57P0[123]|53300)$/;

/**
 * Prisma's codes for the same: P1001 cannot reach, P1002 timed out, P1017 server closed the
 * connection, P2024 timed out waiting for a connection of the pool.
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

/** What node-postgres says when a connection is lost or cannot be had in time. */
const PG_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause, errors, meta } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    /** Prisma's error of a query its driver adapter (pg) failed: the pg error is under it. */
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SERVER_CODES.test(code) || PRISMA_CODES.has(code)) return true;
  }
  if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) {
    return true;
  }
  if (isDatabaseUnavailable(meta?.driverAdapterError, depth + 1)) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
