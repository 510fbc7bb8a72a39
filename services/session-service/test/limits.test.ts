// Limits per tenant and per session: sessions a tenant keeps, endpoints, fault rules, bytes
// and trace events a session holds, bytes a tenant holds, virtual time and trace events one
// request may take, clock moves a tenant runs at once. A refused request
// changes nothing; a clock move that meets its event budget stops, says so, and is rebuilt
// stopping at the same event.
import type { Limits } from '@tcplab/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { call, clientAndServer } from './apps.js';
import { connect, listening } from './sockets.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function appOn(db: MigratedDatabase, limits: Partial<Limits> = {}): Promise<App> {
  const app = await buildApp({
    database: db.database,
    migrations: db.migrations,
    auth: { mode: 'disabled' },
    runtime: { limits: { ...DEFAULT_LIMITS, ...limits } },
  });
  cleanups.push(() => app.close());
  return app;
}

async function freshApp(limits: Partial<Limits> = {}) {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  return { db, app: await appOn(db, limits) };
}

/** A client sending `bytes` to a listening server over 10 ms, connected. */
async function transferSession(app: App, bytes: number, clock?: Record<string, unknown>) {
  const created = await call(app, 'POST', '/v1/sessions', {
    seed: 3,
    link: { delayMs: 10 },
    ...(clock === undefined ? {} : { clock }),
  });
  const base = `/v1/sessions/${String(created.body?.id)}`;
  await clientAndServer(app, base);
  if (bytes > 0) await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes });
  return { sid: String(created.body?.id), base };
}

describe('limits per tenant', () => {
  it('maxSessions: the next session is refused with 409 LIMIT_REACHED, even when asked at once', async () => {
    const { app } = await freshApp({ maxSessions: 2 });
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(() => call(app, 'POST', '/v1/sessions', {})),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409, 409, 409]);
    expect(answers.find((a) => a.status === 409)?.body).toMatchObject({
      code: 'LIMIT_REACHED',
      limit: 'maxSessions',
      value: 2,
      detail: 'the tenant has 2 sessions, its limit (maxSessions); delete one to make another',
    });
    const first = answers.find((a) => a.status === 201)?.body?.id as string;
    await call(app, 'DELETE', `/v1/sessions/${first}`);
    expect((await call(app, 'POST', '/v1/sessions', {})).status).toBe(201);
  });

  it("a tenant's own limit overrides the default from its next request", async () => {
    const { app } = await freshApp({ maxSessions: 1 });
    expect((await call(app, 'POST', '/v1/sessions', {})).status).toBe(201);
    expect((await call(app, 'POST', '/v1/sessions', {})).status).toBe(409);
    const patched = await call(app, 'PATCH', '/v1/tenants/local', { limits: { maxSessions: 2 } });
    expect(patched.body).toMatchObject({ effectiveLimits: { maxSessions: 2 }, sessions: 1 });
    expect((await call(app, 'POST', '/v1/sessions', {})).status).toBe(201);
    expect((await call(app, 'POST', '/v1/sessions', {})).status).toBe(409);
  });
});

describe('limits per session', () => {
  it('maxEndpoints: the next endpoint is refused and leaves nothing behind', async () => {
    const { app, db } = await freshApp({ maxEndpoints: 2 });
    const { sid, base } = await transferSession(app, 0);
    // The listener's accepted connection counts too: the session holds three already.
    const refused = await call(app, 'POST', `${base}/endpoints`, {
      address: '10.0.0.3',
      port: 80,
    });
    expect(refused.body).toMatchObject({
      status: 409,
      code: 'LIMIT_REACHED',
      limit: 'maxEndpoints',
      value: 2,
    });
    const commands = await db.database.prisma.command.count({ where: { sessionId: sid } });
    expect(commands).toBe(4); // two endpoints, listen, connect
    expect(((await call(app, 'GET', `${base}/endpoints`)).body?.items as unknown[]).length).toBe(2);
  });

  it('maxRequestMs: a longer advance or run is refused with 400 naming the field', async () => {
    const { app } = await freshApp({ maxRequestMs: 1000 });
    const { base } = await transferSession(app, 0);
    const advance = await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 1001 });
    expect(advance.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/body/ms', message: 'must be <= 1000' }],
    });
    const run = await call(app, 'POST', `${base}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 5000,
    });
    expect(run.body).toMatchObject({ errors: [{ path: '/body/maxMs' }] });
    expect((await call(app, 'GET', base)).body).toMatchObject({ clock: { nowMs: 0 } });
    const allowed = await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 1000 });
    expect(allowed.body).toMatchObject({ nowMs: 1000, limited: false });
  });

  it('maxEventsPerRequest: a clock move stops at its budget, says so, goes on when asked, and is rebuilt stopping at the same event', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = await appOn(db, { maxEventsPerRequest: 60 });
    const { base } = await transferSession(first, 50_000);
    const moved = await call(first, 'POST', `${base}/clock`, { action: 'advance', ms: 2000 });
    expect(moved.body).toMatchObject({ limited: true, idle: false });
    expect(moved.body?.events).toBeGreaterThanOrEqual(60);
    expect(moved.body?.events).toBeLessThan(80);
    // It stopped at an event's time, short of the 2 s asked for.
    const stoppedAt = moved.body?.nowMs as number;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(2000);
    const before = await call(first, 'GET', `${base}/endpoints`);
    const session = await call(first, 'GET', base);
    await first.close();

    const second = await appOn(db, { maxEventsPerRequest: 1_000_000 });
    expect((await call(second, 'GET', `${base}/endpoints`)).body).toEqual(before.body);
    expect((await call(second, 'GET', base)).body).toEqual(session.body);
    const rest = await call(second, 'POST', `${base}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 60_000,
    });
    expect(rest.body).toMatchObject({ limited: false });
    const read = await call(second, 'POST', `${base}/endpoints/e3/receive`, { max: 100_000 });
    expect(read.body).toMatchObject({ bytes: 50_000 });
  });

  it('maxTraceEvents: a full session refuses every command with 409, and stays readable', async () => {
    const { app } = await freshApp({ maxTraceEvents: 150 });
    const { base } = await transferSession(app, 200_000);
    let limited = true;
    let moves = 0;
    while (limited && moves < 10) {
      const moved = await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 10_000 });
      limited = moved.body?.limited as boolean;
      moves += 1;
      if (moved.status !== 200) break;
    }
    const session = await call(app, 'GET', base);
    const produced = session.body?.lastEventId as number;
    expect(produced).toBeGreaterThanOrEqual(150);
    expect(produced).toBeLessThan(160);
    for (const [url, body] of [
      [`${base}/clock`, { action: 'step' }],
      [`${base}/endpoints/e2/send`, { data: 'more' }],
      [`${base}/endpoints`, { address: '10.0.0.9', port: 1 }],
    ] as const) {
      expect((await call(app, 'POST', url, body)).body, url).toMatchObject({
        status: 409,
        code: 'LIMIT_REACHED',
        limit: 'maxTraceEvents',
        value: 150,
      });
    }
    expect((await call(app, 'GET', base)).body).toEqual(session.body);
    const segments = await call(app, 'GET', `${base}/segments?limit=1000`);
    expect((segments.body?.items as unknown[]).length).toBeGreaterThan(10);
  });

  it('maxTraceEvents: a playing realtime session pauses itself when full', async () => {
    const { app } = await freshApp({ maxTraceEvents: 120 });
    const { base } = await transferSession(app, 100_000, { mode: 'realtime', speed: 100 });
    expect((await call(app, 'POST', `${base}/clock`, { action: 'play' })).status).toBe(200);
    const started = performance.now();
    let clock = { running: true };
    while (clock.running && performance.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      clock = (await call(app, 'GET', base)).body?.clock as { running: boolean };
    }
    expect(clock.running).toBe(false);
    expect((await call(app, 'GET', base)).body?.lastEventId).toBeGreaterThanOrEqual(120);
  });
});

describe('bytes held, fault rules, clock moves at once', () => {
  /** A session whose client (e2) has a 1 GiB send buffer and is connected to the server (e3). */
  async function bigBufferSession(app: App, defaults: object = {}): Promise<string> {
    const created = await call(app, 'POST', '/v1/sessions', { seed: 5, defaults });
    const base = `/v1/sessions/${String(created.body?.id)}`;
    await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    await call(app, 'POST', `${base}/endpoints`, {
      address: '10.0.0.1',
      port: 49152,
      options: { sndBuffer: 1 << 30 },
    });
    await call(app, 'POST', `${base}/endpoints/e1/listen`);
    await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    return base;
  }

  it('a 1 GiB send into a 1 GiB buffer is refused (maxSessionBufferedBytes), before anything is made', async () => {
    const { app } = await freshApp();
    const base = await bigBufferSession(app);
    const rssBefore = process.memoryUsage().rss;
    const refused = await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes: 1 << 30 });
    expect(refused.body).toMatchObject({
      status: 409,
      code: 'LIMIT_REACHED',
      limit: 'maxSessionBufferedBytes',
      value: DEFAULT_LIMITS.maxSessionBufferedBytes,
    });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    // What fits is taken, and the session moves on and snapshots as ever.
    const sent = await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes: 10_000_000 });
    expect(sent.body).toEqual({ accepted: 10_000_000 });
    const moved = await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 100 });
    expect(moved.status).toBe(200);
  });

  it("maxSessionBufferedBytes and maxBufferedBytes count what the session's and the tenant's endpoints hold", async () => {
    const { app } = await freshApp({ maxSessionBufferedBytes: 100_000, maxBufferedBytes: 150_000 });
    const first = await bigBufferSession(app);
    const second = await bigBufferSession(app);
    const send = (base: string, bytes: number) =>
      call(app, 'POST', `${base}/endpoints/e2/send`, { bytes });
    expect((await send(first, 60_000)).body).toEqual({ accepted: 60_000 });
    expect((await send(first, 60_000)).body).toMatchObject({
      limit: 'maxSessionBufferedBytes',
      detail:
        "the session's endpoints hold 60000 bytes; 60000 more would pass its limit of 100000 " +
        '(maxSessionBufferedBytes): receive or let the peer acknowledge first',
    });
    expect((await send(second, 60_000)).body).toEqual({ accepted: 60_000 });
    expect((await send(second, 40_000)).body).toMatchObject({
      status: 409,
      limit: 'maxBufferedBytes',
      value: 150_000,
    });
    // Once delivered and read, the bytes are no longer held: the sender may send again.
    await call(app, 'POST', `${first}/clock`, { action: 'run', untilIdle: true, maxMs: 60_000 });
    const read = await call(app, 'POST', `${first}/endpoints/e3/receive`, { max: 100_000 });
    expect(read.body).toMatchObject({ bytes: 60_000 });
    expect((await send(second, 40_000)).body).toEqual({ accepted: 40_000 });
  });

  it('maxFaultRules: the next fault rule is refused', async () => {
    const { app } = await freshApp({ maxFaultRules: 2 });
    const { base } = await transferSession(app, 0);
    const rule = { match: { flags: 'S' }, action: 'drop' };
    expect((await call(app, 'POST', `${base}/faults`, rule)).status).toBe(201);
    expect((await call(app, 'POST', `${base}/faults`, rule)).status).toBe(201);
    expect((await call(app, 'POST', `${base}/faults`, rule)).body).toMatchObject({
      status: 409,
      code: 'LIMIT_REACHED',
      limit: 'maxFaultRules',
      value: 2,
    });
    expect(((await call(app, 'GET', `${base}/faults`)).body?.items as unknown[]).length).toBe(2);
  });

  it("maxConcurrentMoves: a tenant's second move waits for the first, then runs", async () => {
    const { app } = await freshApp({ maxConcurrentMoves: 1 });
    // A receiver with room for it all: the transfer runs to its end without a read.
    const long = await bigBufferSession(app, { rcvBuffer: 40_000_000 });
    await call(app, 'POST', `${long}/endpoints/e2/send`, { bytes: 30_000_000 });
    const short = await bigBufferSession(app);
    const finished: string[] = [];
    const longMove = call(app, 'POST', `${long}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 600_000,
    }).then((answer) => {
      finished.push('long');
      return answer;
    });
    // The long move (some 100,000 events) is under way when the short one is asked.
    while (app.runtime.movesOf('local').running === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const shortMove = call(app, 'POST', `${short}/clock`, { action: 'advance', ms: 1 }).then(
      (answer) => {
        finished.push('short');
        return answer;
      },
    );
    // It waits for its place while the long one runs.
    while (app.runtime.movesOf('local').waiting === 0 && finished.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(app.runtime.movesOf('local')).toEqual({ running: 1, waiting: 1 });
    const [longAnswer, shortAnswer] = await Promise.all([longMove, shortMove]);
    expect([longAnswer.status, shortAnswer.status]).toEqual([200, 200]);
    expect(longAnswer.body?.events).toBeGreaterThan(50_000);
    // (Which answer comes first is not said: the long move gives its place back when its
    // engine work ends, before its trace is written.)
    expect(app.runtime.movesOf('local')).toEqual({ running: 0, waiting: 0 });
  });

  it('maxConnections: the next socket.io connection is refused, and a closed one gives its place back', async () => {
    const { app } = await freshApp({ maxConnections: 2 });
    const url = await listening(app);
    const first = await connect(cleanups, url);
    await connect(cleanups, url);
    const refused = (await connect(cleanups, url).catch((error: unknown) => error)) as Error & {
      data?: { code: string };
    };
    expect(refused.message).toBe('the tenant has 2 connections open, its limit (maxConnections)');
    expect(refused.data).toEqual({ code: 'LIMIT_REACHED' });
    first.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await connect(cleanups, url)).connected).toBe(true);
  });
});
