// PATCH /v1/sessions/:sid/endpoints/:eid, setsockopt() on a live endpoint, through HTTP only
// (fastify inject) against a real Postgres: the change in effect on the wire, the refusals a
// user meets, the command in the log, and a second app on the same database replaying it to
// the same trace.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { call } from './apps.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function appOn(db: MigratedDatabase): Promise<App> {
  const app = await buildApp({
    database: db.database,
    migrations: db.migrations,
    auth: { mode: 'disabled' },
    // A snapshot at close would leave the second app nothing to replay.
    runtime: { randomSeed: () => 7, snapshotOnClose: false },
  });
  cleanups.push(() => app.close());
  return app;
}

async function freshDatabase(): Promise<MigratedDatabase> {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  return db;
}

/**
 * A server (e1, 10.0.0.2:80) listening and a client (e2, 10.0.0.1:49152) connected to it
 * (the connection the server accepted is e3), 10 ms apart; the clock at 30 ms.
 */
async function connected(app: App): Promise<{ sid: string; base: string }> {
  const created = await call(app, 'POST', '/v1/sessions', { seed: 1, link: { delayMs: 10 } });
  const sid = created.body?.id as string;
  const base = `/v1/sessions/${sid}`;
  await call(app, 'POST', `${base}/endpoints`, {
    name: 'server',
    address: '10.0.0.2',
    port: 80,
    options: { isn: 5000 },
  });
  await call(app, 'POST', `${base}/endpoints`, {
    name: 'client',
    address: '10.0.0.1',
    port: 49152,
    options: { isn: 1000 },
  });
  await call(app, 'POST', `${base}/endpoints/e1/listen`);
  await call(app, 'POST', `${base}/endpoints/e2/connect`, {
    remote: { address: '10.0.0.2', port: 80 },
  });
  await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
  return { sid, base };
}

/** Two one-byte writes 5 ms apart from the client, then the clock runs until idle. */
async function typeTwo(app: App, base: string): Promise<void> {
  await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'a' });
  await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 5 });
  await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'b' });
  await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 5000 });
}

/** The client's data segments: `time flags seq len`. */
async function clientData(app: App, base: string): Promise<string[]> {
  const segments = await call(app, 'GET', `${base}/segments?limit=1000`);
  return (segments.body?.items as Record<string, unknown>[])
    .filter((s) => s.endpointId === 'e2' && (s.len as number) > 0)
    .map((s) => `${String(s.timeMs)} ${String(s.flags)} ${String(s.seq)} ${String(s.len)}`);
}

describe('PATCH an endpoint', () => {
  it('turns Nagle off on an established connection: answers the endpoint with it off, and the second small write leaves at once', async () => {
    const app = await appOn(await freshDatabase());
    const { base } = await connected(app);

    const patched = await call(app, 'PATCH', `${base}/endpoints/e2`, { nagle: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: 'e2',
      state: 'ESTABLISHED',
      options: { nagle: false, isn: 1000, mss: 1460, delayedAckMs: 40 },
    });
    expect(patched.body).toEqual((await call(app, 'GET', `${base}/endpoints/e2`)).body);

    await typeTwo(app, base);
    // Without Nagle, 'b' does not wait for the ACK of 'a' (which the server delays 40 ms).
    expect(await clientData(app, base)).toEqual(['30 P. 1001 1', '35 P. 1002 1']);
    const events = await call(app, 'GET', `${base}/events?kind=app&limit=1000`);
    expect(events.body?.items).toContainEqual(
      expect.objectContaining({ kind: 'app', endpointId: 'e2', event: 'options', timeMs: 30 }),
    );
  });

  it('with Nagle on (the control), the second small write waits for the ACK of the first', async () => {
    const app = await appOn(await freshDatabase());
    const { base } = await connected(app);
    await typeTwo(app, base);
    // The server's delayed ACK of 'a' leaves at 80 ms and arrives at 90 ms.
    expect(await clientData(app, base)).toEqual(['30 P. 1001 1', '90 P. 1002 1']);
  });

  it('a change to a listener reaches the connections it accepts afterwards', async () => {
    const app = await appOn(await freshDatabase());
    const created = await call(app, 'POST', '/v1/sessions', { seed: 1 });
    const base = `/v1/sessions/${String(created.body?.id)}`;
    await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
    await call(app, 'POST', `${base}/endpoints/e1/listen`);
    const patched = await call(app, 'PATCH', `${base}/endpoints/e1`, {
      nagle: false,
      sndBuffer: 4096,
    });
    expect(patched.body).toMatchObject({ state: 'LISTEN', options: { nagle: false } });
    await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const accepted = await call(app, 'GET', `${base}/endpoints/e3`);
    expect(accepted.body).toMatchObject({
      parentId: 'e1',
      options: { nagle: false, sndBuffer: 4096 },
    });
  });

  it('answers 400 naming an option no live endpoint takes, or a value out of range, and logs nothing', async () => {
    const db = await freshDatabase();
    const app = await appOn(db);
    const { sid, base } = await connected(app);
    const commands = () => db.database.prisma.command.count({ where: { sessionId: sid } });
    const before = await commands();

    const congestion = await call(app, 'PATCH', `${base}/endpoints/e2`, { congestion: 'cubic' });
    expect(congestion.status).toBe(400);
    expect(congestion.type).toMatch(/^application\/problem\+json/);
    expect(congestion.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/body/congestion', message: 'is not a known field' }],
    });
    const unknown = await call(app, 'PATCH', `${base}/endpoints/e2`, { nagel: false });
    expect(unknown.body).toMatchObject({
      status: 400,
      errors: [{ path: '/body/nagel', message: 'is not a known field' }],
    });
    const range = await call(app, 'PATCH', `${base}/endpoints/e2`, { delayedAckMs: 900 });
    expect(range.body).toMatchObject({ status: 400, errors: [{ path: '/body/delayedAckMs' }] });
    const empty = await call(app, 'PATCH', `${base}/endpoints/e2`, {});
    expect(empty.status).toBe(400);
    expect(await commands()).toBe(before);
  });

  it('answers 409 EINVAL naming an option the connection has settled, and logs nothing', async () => {
    const db = await freshDatabase();
    const app = await appOn(db);
    const { sid, base } = await connected(app);
    const commands = () => db.database.prisma.command.count({ where: { sessionId: sid } });
    const before = await commands();

    for (const change of [{ mss: 1000 }, { sack: true }, { windowScale: 7 }, { isn: 1 }]) {
      const refused = await call(app, 'PATCH', `${base}/endpoints/e2`, { nagle: false, ...change });
      const [option] = Object.keys(change);
      expect(refused.status, option).toBe(409);
      expect(refused.type).toMatch(/^application\/problem\+json/);
      expect(refused.body, option).toMatchObject({
        code: 'EINVAL',
        state: 'ESTABLISHED',
        errors: [{ path: `/body/${String(option)}` }],
      });
    }
    // Refused whole: Nagle is still on.
    const endpoint = await call(app, 'GET', `${base}/endpoints/e2`);
    expect(endpoint.body).toMatchObject({ options: { nagle: true } });
    expect(await commands()).toBe(before);

    // Before its SYN, an endpoint takes them all (setsockopt() before connect()).
    await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.3', port: 40000 });
    const early = await call(app, 'PATCH', `${base}/endpoints/e4`, { mss: 1000, sack: true });
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({ state: 'CLOSED', options: { mss: 1000, sack: true } });
  });

  it('answers 404 for an endpoint the session does not have, and for an unknown session', async () => {
    const app = await appOn(await freshDatabase());
    const { base } = await connected(app);
    const missing = await call(app, 'PATCH', `${base}/endpoints/e9`, { nagle: false });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'NOT_FOUND' });
    const session = await call(
      app,
      'PATCH',
      '/v1/sessions/0b6f4c1e-1111-4c4c-8c8c-000000000009/endpoints/e1',
      { nagle: false },
    );
    expect(session.status).toBe(404);
  });

  it('is in the command log as given, and a second app on the database replays it to the same trace', async () => {
    const db = await freshDatabase();
    const first = await appOn(db);
    const { sid, base } = await connected(first);
    await call(first, 'PATCH', `${base}/endpoints/e2`, { nagle: false, sndBuffer: 8192 });
    await typeTwo(first, base);
    const logged = await db.database.prisma.command.findMany({
      where: { sessionId: sid, kind: 'setOptions' },
    });
    expect(logged.map((c) => c.payload)).toEqual([
      { kind: 'setOptions', endpointId: 'e2', options: { nagle: false, sndBuffer: 8192 } },
    ]);
    const row = await db.database.prisma.endpoint.findUniqueOrThrow({
      where: { sessionId_id: { sessionId: sid, id: 'e2' } },
    });
    expect(row.options).toEqual({ isn: 1000, nagle: false, sndBuffer: 8192 });

    const events = await call(first, 'GET', `${base}/events?limit=1000`);
    const segments = await call(first, 'GET', `${base}/segments?limit=1000`);
    const endpoints = await call(first, 'GET', `${base}/endpoints`);
    await first.close();
    // As if the process had died before the trace of the change was written: the log has it.
    const changedAt = (events.body?.items as { eventId: number; event?: string }[]).find(
      (e) => e.event === 'options',
    )?.eventId;
    expect(changedAt).toBeGreaterThan(0);
    const after = { sessionId: sid, eventId: { gte: BigInt(changedAt ?? 0) } };
    await db.database.prisma.traceEvent.deleteMany({ where: after });
    await db.database.prisma.segment.deleteMany({ where: after });

    const second = await appOn(db);
    expect((await call(second, 'GET', `${base}/endpoints`)).body).toEqual(endpoints.body);
    expect((await call(second, 'GET', `${base}/events?limit=1000`)).body).toEqual(events.body);
    expect((await call(second, 'GET', `${base}/segments?limit=1000`)).body).toEqual(segments.body);
  });
});
