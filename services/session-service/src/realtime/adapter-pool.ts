/**
 * The pool as socket.io's Postgres adapter gets it. The adapter holds one client for LISTEN;
 * when that connection dies (the database restarts) it drops the client and connects again,
 * but never hands the dead one back, and the pool would then wait for it forever when the
 * service closes. Here a held client whose connection ends goes back to the pool, which
 * discards it. (The adapter uses only `connect` and `query`.)
 */
import type pg from 'pg';

export function adapterPool(pool: pg.Pool): pg.Pool {
  const facade = {
    query: pool.query.bind(pool),
    connect: async () => {
      const client = await pool.connect();
      const release = client.release.bind(client);
      let released = false;
      client.release = (error?: Error | boolean) => {
        if (released) return;
        released = true;
        release(error);
      };
      client.once('end', () => client.release(new Error('the connection ended')));
      return client;
    },
  };
  return facade as unknown as pg.Pool;
}
