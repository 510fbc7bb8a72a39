// PostgreSQL going away under load, as an operator meets it (a restart, a failover of the
// database, a network cut): for three seconds the server ends every connection of the service
// as soon as it is made, while twenty sessions are driven. Runs on whichever PostgreSQL the
// suite has (the embedded one, or DATABASE_URL's). Every answer meanwhile is a success or 503
// with Retry-After; afterwards every session answers, every acknowledged command is in its log
// and its trace is whole.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migratedApp } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the database away under load', () => {
  it('answers 503 with Retry-After only, then recovers by itself with nothing acknowledged lost', async () => {
    const { app, db } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      // Short leases: the sessions' leases lapse during the cut, and are taken again after.
      runtime: { leaseMs: 1_000 },
    });
    const sessions = await Promise.all(
      Array.from({ length: 20 }, async (_x, i) => {
        const created = await app.inject({
          method: 'POST',
          url: '/v1/sessions',
          payload: { seed: i },
        });
        return created.json<{ id: string }>().id;
      }),
    );

    // The database's side: a connection of its own, ending every other one of this database.
    const killer = new pg.Client({ connectionString: db.url });
    killer.on('error', () => undefined);
    await killer.connect();
    cleanups.push(() => killer.end());
    let cutting = true;
    const cut = (async () => {
      const until = performance.now() + 3_000;
      while (performance.now() < until) {
        await killer.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      cutting = false;
    })();

    const unexpected: string[] = [];
    const acknowledged = new Map<string, number>();
    let refused = 0;
    await Promise.all(
      sessions.map(async (id) => {
        for (let ms = 0; cutting || ms < 5;) {
          const moved = await app.inject({
            method: 'POST',
            url: `/v1/sessions/${id}/clock`,
            payload: { action: 'advance', ms: 1 },
          });
          if (moved.statusCode === 200) {
            ms++;
            acknowledged.set(id, ms);
          } else if (moved.statusCode === 503 && moved.headers['retry-after'] !== undefined) {
            refused++;
            await new Promise((resolve) => setTimeout(resolve, 50));
          } else {
            unexpected.push(`${moved.statusCode} ${moved.body}`);
          }
        }
      }),
    );
    await cut;
    expect(unexpected).toEqual([]);
    expect(refused).toBeGreaterThan(0); // the cut was felt

    for (const id of sessions) {
      const session = await app.inject({ method: 'GET', url: `/v1/sessions/${id}` });
      expect(session.statusCode).toBe(200);
      const { rows } = await db.database.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM commands WHERE session_id = $1',
        [id],
      );
      // Every acknowledged command is in the log (a commit whose answer the cut lost counts
      // too: it is there, and the session shows it).
      const logged = Number(rows[0]?.n);
      expect(logged).toBeGreaterThanOrEqual(acknowledged.get(id) ?? 0);
      expect(session.json<{ clock: { nowMs: number } }>().clock.nowMs).toBe(logged);
    }
  }, 60_000);
});
