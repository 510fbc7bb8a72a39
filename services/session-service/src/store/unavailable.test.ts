// Which errors mean "the database is away" (503, retry) and which are a query it refused.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection (pg)', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a lost connection (pg)', new Error('Connection terminated unexpectedly')],
    [
      'a client whose connection failed (pg)',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'no connection of the pool in time (pg)',
      new Error('timeout exceeded when trying to connect'),
    ],
    [
      'the server shutting down (SQLSTATE 57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    [
      'the server starting up (SQLSTATE 57P03)',
      withCode('57P03', 'the database system is starting up'),
    ],
    ['a connection exception (SQLSTATE 08006)', withCode('08006')],
    ['too many connections (SQLSTATE 53300)', withCode('53300')],
    ['Prisma cannot reach the server (P1001)', withCode('P1001')],
    ['Prisma timed out for a connection of its pool (P2024)', withCode('P2024')],
    [
      "Prisma's driver adapter error under meta (P2039, 57P03)",
      Object.assign(withCode('P2039'), {
        meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P03' } } },
      }),
    ],
    [
      'one of several (AggregateError)',
      new AggregateError([new Error('no'), withCode('ECONNRESET')]),
    ],
    ['a cause', new Error('wrapped', { cause: withCode('ETIMEDOUT') })],
  ])('%s: unavailable', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a syntax error (42601)', withCode('42601')],
    ['Prisma: record not found (P2025)', withCode('P2025')],
    ['a plain error', new Error('bug')],
    ['not an error at all', 'ECONNREFUSED'],
    [
      'a cycle of causes',
      (() => {
        const a: Error & { cause?: unknown } = new Error('a');
        a.cause = a;
        return a;
      })(),
    ],
  ])('%s: not unavailable', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
