// Mixed versions during a rolling upgrade: instances claiming different engine behaviour
// versions (a test-only setting) on one database. A session goes on exactly under a newer
// version only from a snapshot at its last command; otherwise it is read-only there (409
// SESSION_READ_ONLY), and its stored trace, segments and capture stay readable. A log that
// does not replay to where it was is read-only too, never a 5xx.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { call } from './apps.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instance(
  db: MigratedDatabase,
  engineBehaviour: number,
  snapshotOnClose = true,
): Promise<App> {
  const app = await buildApp({
    database: db.database,
    migrations: db.migrations,
    auth: { mode: 'disabled' },
    runtime: { engineBehaviour, snapshotOnClose },
  });
  cleanups.push(() => app.close());
  return app;
}

/** A transfer part-way: connected, 20 kB sent, 40 ms in. */
async function halfway(app: App): Promise<string> {
  const created = await call(app, 'POST', '/v1/sessions', { seed: 21, link: { lossRate: 0.03 } });
  const base = `/v1/sessions/${String(created.body?.id)}`;
  await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
  await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
  await call(app, 'POST', `${base}/endpoints/e1/listen`);
  await call(app, 'POST', `${base}/endpoints/e2/connect`, {
    remote: { address: '10.0.0.2', port: 80 },
  });
  await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes: 20_000 });
  await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 40 });
  return base;
}

async function reads(app: App, base: string) {
  const session = await call(app, 'GET', base);
  const events = await call(app, 'GET', `${base}/events?limit=1000`);
  const segments = await call(app, 'GET', `${base}/segments?limit=1000`);
  const capture = await app.inject({ method: 'GET', url: `${base}/trace.pcapng` });
  return {
    statuses: [session.status, events.status, segments.status, capture.statusCode],
    session: session.body,
    events: events.body,
    segments: segments.body,
    capture: capture.rawPayload,
  };
}

async function behaviourOf(db: MigratedDatabase, base: string): Promise<number> {
  const id = base.split('/').at(-1) ?? '';
  const row = await db.database.prisma.session.findUniqueOrThrow({ where: { id } });
  return row.engineBehaviour;
}

describe('a session moving between engine behaviour versions', () => {
  it('without a snapshot at its last command: read-only on the newer version, its trace whole', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const older = await instance(db, 1, false);
    const base = await halfway(older);
    const before = await reads(older, base);
    await older.close();

    const newer = await instance(db, 2);
    const after = await reads(newer, base);
    expect(after.statuses).toEqual([200, 200, 200, 200]);
    expect(after).toEqual(before);
    const moved = await call(newer, 'POST', `${base}/clock`, { action: 'advance', ms: 5 });
    expect(moved.status).toBe(409);
    expect(moved.body).toMatchObject({ code: 'SESSION_READ_ONLY' });
    expect(String(moved.body?.detail)).toContain('engine behaviour 1');
    expect((await call(newer, 'GET', `${base}/endpoints`)).body).toMatchObject({
      code: 'SESSION_READ_ONLY',
    });
    expect(await behaviourOf(db, base)).toBe(1);

    // Back on an instance of its own version, it goes on.
    const again = await instance(db, 1);
    expect((await call(again, 'POST', `${base}/clock`, { action: 'advance', ms: 5 })).status).toBe(
      200,
    );
  });

  it('from a snapshot at its last command: it goes on exactly on the newer version, which then owns its log', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const older = await instance(db, 1);
    const base = await halfway(older);
    const control = await halfway(older);
    await call(older, 'POST', `${control}/clock`, { action: 'run', untilIdle: true, maxMs: 5000 });
    const expected = await reads(older, control);
    await older.close(); // snapshots every session at its last command

    const newer = await instance(db, 2);
    const run = await call(newer, 'POST', `${base}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 5000,
    });
    expect(run.status).toBe(200);
    const continued = await reads(newer, base);
    expect(continued.events).toEqual(expected.events);
    expect(continued.segments).toEqual(expected.segments);
    expect(await behaviourOf(db, base)).toBe(2);
    await newer.close();

    // The older version does not read the newer one's snapshot: read-only there.
    const downgraded = await instance(db, 1);
    const refused = await call(downgraded, 'POST', `${base}/clock`, { action: 'advance', ms: 1 });
    expect(refused.body).toMatchObject({ code: 'SESSION_READ_ONLY' });
    expect((await reads(downgraded, base)).events).toEqual(expected.events);
  });

  it('a log that does not replay to where it was stored is read-only, not an error', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = await instance(db, 1, false);
    const base = await halfway(first);
    await first.close();
    // As if the engine had changed without its version: the stored end is not the replay's.
    const id = base.split('/').at(-1) ?? '';
    await db.database.pool.query(
      'UPDATE sessions SET last_event_id = last_event_id + 1 WHERE id = $1',
      [id],
    );
    const second = await instance(db, 1);
    const moved = await call(second, 'POST', `${base}/clock`, { action: 'advance', ms: 5 });
    expect(moved.status).toBe(409);
    expect(String(moved.body?.detail)).toContain('does not end where it was');
    expect((await reads(second, base)).statuses).toEqual([200, 200, 200, 200]);
  });
});
