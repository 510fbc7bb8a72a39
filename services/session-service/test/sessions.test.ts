// The REST contract's session, endpoint, clock and trace routes, through HTTP only (fastify
// inject) against a real Postgres: a whole lab flow, the errors a user meets, and a session
// rebuilt from its command log by a second app on the same database.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { call, clientAndServer } from './apps.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function appOn(db: MigratedDatabase, snapshotEveryEvents?: number): Promise<App> {
  const app = await buildApp({
    database: db.database,
    migrations: db.migrations,
    auth: { mode: 'disabled' },
    runtime: {
      randomSeed: () => 7,
      // These tests rebuild from the log (and the snapshots its length asks for): a snapshot
      // at close would leave nothing to replay.
      snapshotOnClose: false,
      ...(snapshotEveryEvents === undefined ? {} : { snapshotEveryEvents }),
    },
  });
  cleanups.push(() => app.close());
  return app;
}

async function freshApp(): Promise<{ app: App; db: MigratedDatabase }> {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  return { app: await appOn(db), db };
}

/** A session with a server listening on 10.0.0.2:80 and a client on 10.0.0.1:49152. */
async function labSession(app: App) {
  const created = await call(app, 'POST', '/v1/sessions', { name: 'lab', seed: 1 });
  expect(created.status).toBe(201);
  const sid = created.body?.id as string;
  const base = `/v1/sessions/${sid}`;
  const server = await call(app, 'POST', `${base}/endpoints`, {
    name: 'server',
    address: '10.0.0.2',
    port: 80,
    options: { isn: 5000 },
  });
  const client = await call(app, 'POST', `${base}/endpoints`, {
    name: 'client',
    address: '10.0.0.1',
    port: 49152,
    options: { isn: 1000 },
  });
  expect([server.status, client.status]).toEqual([201, 201]);
  expect([server.body?.id, client.body?.id, server.body?.state]).toEqual(['e1', 'e2', 'CLOSED']);
  return { sid, base };
}

/** The server listens, the client connects, and the clock runs until the handshake is done. */
async function handshake(app: App, base: string) {
  await call(app, 'POST', `${base}/endpoints/e1/listen`);
  await call(app, 'POST', `${base}/endpoints/e2/connect`, {
    remote: { address: '10.0.0.2', port: 80 },
  });
  await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
}

/** The segment list as tcpdump-like lines: `client > server: flags seq:end(len) ack`. */
function lines(items: Record<string, unknown>[]): string[] {
  return items.map((s) => {
    const src = (s.src as { port: number }).port === 80 ? 'server' : 'client';
    return `${src} ${String(s.flags)} ${String(s.seq)} ${String(s.ack)} ${String(s.len)}`;
  });
}

describe('a lab through HTTP only', () => {
  it('handshake, data both ways, and both closes: the segments and states a student expects', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);

    expect((await call(app, 'POST', `${base}/endpoints/e1/listen`)).body?.state).toBe('LISTEN');
    const connecting = await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    expect(connecting.body?.state).toBe('SYN-SENT');
    const ran = await call(app, 'POST', `${base}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 1000,
    });
    expect(ran.body).toMatchObject({ nowMs: 30, idle: true }); // the last ACK reaches the server at 30 ms

    const endpoints = await call(app, 'GET', `${base}/endpoints`);
    const items = endpoints.body?.items as { id: string; state: string; parentId?: string }[];
    expect(items.map((e) => [e.id, e.state, e.parentId])).toEqual([
      ['e1', 'LISTEN', undefined],
      ['e2', 'ESTABLISHED', undefined],
      ['e3', 'ESTABLISHED', 'e1'],
    ]);

    expect((await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'hello' })).body).toEqual({
      accepted: 5,
    });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect((await call(app, 'POST', `${base}/endpoints/e3/receive`, {})).body).toEqual({
      bytes: 5,
      data: 'hello',
      base64: 'aGVsbG8=',
      eof: false,
    });
    await call(app, 'POST', `${base}/endpoints/e3/send`, { base64: 'b2s=' });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect(
      (await call(app, 'POST', `${base}/endpoints/e2/receive`, { max: 10 })).body,
    ).toMatchObject({
      data: 'ok',
    });

    expect((await call(app, 'POST', `${base}/endpoints/e2/close`)).body?.state).toBe('FIN-WAIT-1');
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 100 });
    expect((await call(app, 'POST', `${base}/endpoints/e3/close`)).body?.state).toBe('LAST-ACK');
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 100 });
    const client = await call(app, 'GET', `${base}/endpoints/e2`);
    expect(client.body).toMatchObject({
      state: 'TIME-WAIT',
      counters: {
        segmentsSent: 6,
        retransmissions: 0,
        bytesSent: 5,
        bytesDelivered: 2,
        bytesRead: 2,
      },
    });
    expect((await call(app, 'GET', `${base}/endpoints/e3`)).body).toMatchObject({
      state: 'CLOSED',
    });

    const segments = await call(app, 'GET', `${base}/segments?limit=1000`);
    expect(lines(segments.body?.items as Record<string, unknown>[])).toEqual([
      'client S 1000 0 0',
      'server S. 5000 1001 0',
      'client . 1001 5001 0',
      'client P. 1001 5001 5',
      'server . 5001 1006 0',
      'server P. 5001 1006 2',
      'client . 1006 5003 0',
      'client F. 1006 5003 0',
      'server . 5003 1007 0',
      'server F. 5003 1007 0',
      'client . 1007 5004 0',
    ]);
  });

  it('pages segments and events by eventId and filters events by kind', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);
    await handshake(app, base);

    const first = await call(app, 'GET', `${base}/segments?limit=2`);
    const firstItems = first.body?.items as { eventId: number; flags: string }[];
    expect(firstItems.map((s) => s.flags)).toEqual(['S', 'S.']);
    const rest = await call(app, 'GET', `${base}/segments?after=${String(first.body?.nextAfter)}`);
    expect((rest.body?.items as { flags: string }[]).map((s) => s.flags)).toEqual(['.']);

    const states = await call(app, 'GET', `${base}/events?kind=state&limit=1000`);
    const transitions = (states.body?.items as { endpointId: string; to: string }[]).map(
      (e) => `${e.endpointId} ${e.to}`,
    );
    expect(transitions).toEqual([
      'e1 LISTEN',
      'e2 SYN-SENT',
      'e3 SYN-RECEIVED',
      'e2 ESTABLISHED',
      'e3 ESTABLISHED',
    ]);
    const all = await call(app, 'GET', `${base}/events?limit=1000`);
    const ids = (all.body?.items as { eventId: number }[]).map((e) => e.eventId);
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // one counter per session: 1, 2, 3, ...
    const session = await call(app, 'GET', base);
    expect(session.body).toMatchObject({
      lastEventId: ids.length,
      clock: { mode: 'manual', nowMs: 30 },
    });
  });
});

describe('bodies', () => {
  it('takes action calls without a body, even declared as application/json (curl -H)', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);
    const json = { 'content-type': 'application/json' };
    const listen = await app.inject({
      method: 'POST',
      url: `${base}/endpoints/e1/listen`,
      headers: json,
    });
    expect(listen.json()).toMatchObject({ state: 'LISTEN' });
    await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const receive = await app.inject({
      method: 'POST',
      url: `${base}/endpoints/e3/receive`,
      headers: json,
    });
    expect(receive.json()).toEqual({ bytes: 0, data: '', base64: '', eof: false });
    const broken = await app.inject({
      method: 'POST',
      url: `${base}/endpoints/e3/receive`,
      headers: json,
      payload: '{"max":',
    });
    expect(broken.json()).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
  });

  it('refuses fields the contract does not have, naming them', async () => {
    const { app } = await freshApp();
    const response = await call(app, 'POST', '/v1/sessions', { name: 'x', sed: 1 });
    expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(response.body)).toContain('sed');
  });
});

describe('what TCP refuses, and what the API refuses', () => {
  it('answers 409 with the socket error and leaves no command behind', async () => {
    const { app, db } = await freshApp();
    const { sid, base } = await labSession(app);
    const commands = async () => db.database.prisma.command.count({ where: { sessionId: sid } });
    const before = await commands();

    const send = await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'x' });
    expect(send.status).toBe(409);
    expect(send.type).toMatch(/^application\/problem\+json/);
    expect(send.body).toMatchObject({ code: 'ENOTCONN', state: 'CLOSED' });

    await call(app, 'POST', `${base}/endpoints/e1/listen`);
    const taken = await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    expect(taken.body).toMatchObject({ status: 409, code: 'EADDRINUSE' });
    expect((await call(app, 'POST', `${base}/endpoints/e1/listen`)).body).toMatchObject({
      code: 'EINVAL',
    });
    expect((await call(app, 'POST', `${base}/endpoints/e1/receive`, {})).body).toMatchObject({
      code: 'ENOTCONN',
    });
    await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    const again = await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    expect(again.body).toMatchObject({ code: 'EALREADY' });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    await call(app, 'POST', `${base}/endpoints/e2/shutdown`);
    expect(
      (await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'x' })).body,
    ).toMatchObject({ code: 'EPIPE' });
    // Accepted: listen, connect, run, shutdown. Everything refused left nothing.
    expect((await commands()) - before).toBe(4);
  });

  it('a connect to a port nobody listens on is refused by RST: an app event ECONNREFUSED', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app); // e1 exists on 10.0.0.2:80 but does not listen
    const connect = await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    expect(connect.body).toMatchObject({ state: 'SYN-SENT' });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const segments = await call(app, 'GET', `${base}/segments`);
    expect((segments.body?.items as { flags: string }[]).map((s) => s.flags)).toEqual(['S', 'R.']);
    const appEvents = await call(app, 'GET', `${base}/events?kind=app`);
    expect(appEvents.body?.items).toEqual([
      expect.objectContaining({
        kind: 'app',
        endpointId: 'e2',
        event: 'error',
        error: 'ECONNREFUSED',
        timeMs: 20, // the R. arrives one round trip after the S
      }),
    ]);
    expect((await call(app, 'GET', `${base}/endpoints/e2`)).body).toMatchObject({
      state: 'CLOSED',
    });
  });

  it('answers 400 naming the field, and 404 for unknown sessions and endpoints', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);
    const badPort = await call(app, 'POST', `${base}/endpoints`, {
      address: '10.0.0.3',
      port: 70000,
    });
    expect(badPort.status).toBe(400);
    expect(badPort.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(badPort.body?.errors)).toContain('/body/port');

    const unbounded = await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true });
    expect(unbounded.status).toBe(400);
    expect(JSON.stringify(unbounded.body)).toContain('maxMs');

    const noSession = await call(app, 'GET', '/v1/sessions/00000000-0000-4000-8000-000000000000');
    expect(noSession.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const notUuid = await call(app, 'GET', '/v1/sessions/nope');
    expect(notUuid.status).toBe(400);
    expect((await call(app, 'GET', `${base}/endpoints/e9`)).body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });
});

describe('sessions', () => {
  it('lists, renames, changes the link from now on, and deletes with everything in it', async () => {
    const { app, db } = await freshApp();
    const { sid, base } = await labSession(app);
    expect((await call(app, 'GET', '/v1/sessions')).body?.items).toHaveLength(1);
    const patched = await call(app, 'PATCH', base, { name: 'renamed', link: { delayMs: 50 } });
    expect(patched.body).toMatchObject({ name: 'renamed', link: { delayMs: 50 } });
    await handshake(app, base);
    expect((await call(app, 'GET', base)).body).toMatchObject({ clock: { nowMs: 150 } });

    expect((await call(app, 'DELETE', base)).status).toBe(204);
    expect((await call(app, 'GET', base)).status).toBe(404);
    expect(await db.database.prisma.traceEvent.count({ where: { sessionId: sid } })).toBe(0);
    expect(await db.database.prisma.segment.count({ where: { sessionId: sid } })).toBe(0);
  });

  it.each([
    ['its whole command log', undefined],
    ['its latest snapshot and the commands after it', 10],
  ])('is rebuilt by another process on the same database from %s', async (_how, every) => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = await appOn(db, every);
    const { sid, base } = await labSession(first);
    await call(first, 'POST', `${base}/endpoints/e1/listen`);
    await call(first, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(first, 'POST', `${base}/endpoints/e2/send`, { bytes: 3000 });
    await call(first, 'POST', `${base}/clock`, { action: 'advance', ms: 25 });
    await call(first, 'PATCH', base, { link: { delayMs: 20 } });
    await call(first, 'POST', `${base}/clock`, { action: 'advance', ms: 5 });
    const before = await call(first, 'GET', `${base}/endpoints`);
    const sessionBefore = await call(first, 'GET', base);
    await first.close();
    const snapshots = await db.database.prisma.snapshot.count({ where: { sessionId: sid } });
    expect(snapshots).toBe(every === undefined ? 0 : 1); // older ones are dropped

    const second = await appOn(db, every);
    expect((await call(second, 'GET', `${base}/endpoints`)).body).toEqual(before.body);
    expect((await call(second, 'GET', base)).body).toEqual(sessionBefore.body);
    // It continues where it was: the rest of the transfer arrives.
    await call(second, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 5000 });
    const read = await call(second, 'POST', `${base}/endpoints/e3/receive`, {});
    expect(read.body).toMatchObject({ bytes: 3000 });
    expect(String(read.body?.data).slice(0, 28)).toBe('abcdefghijklmnopqrstuvwxyzab');
  });
});

describe('profiles and tcp_info', () => {
  it("starts endpoints from the session's profile, or their own, and serves Linux's tcp_info", async () => {
    const { app } = await freshApp();
    const created = await call(app, 'POST', '/v1/sessions', { seed: 1, profile: 'linux' });
    expect(created.body).toMatchObject({ profile: 'linux', defaults: {} });
    const base = `/v1/sessions/${created.body?.id as string}`;
    await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    await call(app, 'POST', `${base}/endpoints`, {
      address: '10.0.0.1',
      port: 49152,
      profile: 'rfc',
      options: { isn: 1000 },
    });
    await call(app, 'POST', `${base}/endpoints/e1/listen`);
    await call(app, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const segments = await call(app, 'GET', `${base}/segments`);
    const items = segments.body?.items as { flags: string; options: object }[];
    // The rfc client offers nothing; the linux server answers with its MSS only, as Linux does.
    expect(items.slice(0, 2).map((i) => [i.flags, i.options])).toEqual([
      ['S', { mss: 1460 }],
      ['S.', { mss: 1460 }],
    ]);
    const server = await call(app, 'GET', `${base}/endpoints/e3`);
    expect(server.body?.tcpInfo).toMatchObject({
      tcpi_state: 1, // TCP_ESTABLISHED
      tcpi_ca_state: 0,
      tcpi_snd_cwnd: 10, // the linux profile's initial window
      tcpi_snd_ssthresh: 0x7fffffff,
      tcpi_snd_mss: 1460,
      tcpi_rto: 220_000, // Linux's: the handshake's RTT (20 ms) + the 200 ms minimum
      tcpi_options: 0,
      tcpi_unacked: 0,
    });
    const client = await call(app, 'GET', `${base}/endpoints/e2`);
    expect(client.body?.tcpInfo).toMatchObject({ tcpi_state: 1, tcpi_snd_cwnd: 3 });
    expect((await call(app, 'POST', '/v1/sessions', { profile: 'bsd' })).status).toBe(400);
  });
});

describe('the trace behind the commands', () => {
  it('a rebuild writes again the trace events the database had not got when the process stopped', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = await appOn(db);
    const { sid, base } = await labSession(first);
    await call(first, 'POST', `${base}/endpoints/e1/listen`);
    await call(first, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    await call(first, 'POST', `${base}/endpoints/e2/send`, { bytes: 20_000 });
    await call(first, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 5000 });
    const events = await call(first, 'GET', `${base}/events?limit=1000`);
    const segments = await call(first, 'GET', `${base}/segments?limit=1000`);
    const all = events.body?.items as { eventId: number; kind: string }[];
    expect(all.map((e) => e.eventId)).toEqual(all.map((_e, i) => i + 1));
    expect(new Set(all.map((e) => e.kind))).toEqual(
      new Set(['state', 'segment', 'timer', 'metrics', 'app']),
    );
    await first.close();

    // As if the process had died with the last batches unwritten: the log has the commands.
    // Segments and other events are written side by side: each table may have lost a
    // different amount of its end.
    const after = (fraction: number) => ({
      sessionId: sid,
      eventId: { gt: BigInt(Math.floor(all.length * fraction)) },
    });
    const removed =
      (await db.database.prisma.traceEvent.deleteMany({ where: after(1 / 2) })).count +
      (await db.database.prisma.segment.deleteMany({ where: after(3 / 4) })).count;
    expect(removed).toBeGreaterThan(10);

    const second = await appOn(db);
    expect((await call(second, 'GET', `${base}/events?limit=1000`)).body).toEqual(events.body);
    expect((await call(second, 'GET', `${base}/segments?limit=1000`)).body).toEqual(segments.body);
  });

  it('pages the event list across segments and other events with no gap or repeat', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);
    await handshake(app, base);
    const whole = (await call(app, 'GET', `${base}/events?limit=1000`)).body?.items as {
      eventId: number;
    }[];
    const paged: number[] = [];
    for (let after = 0; ;) {
      const page = await call(app, 'GET', `${base}/events?limit=3&after=${after}`);
      const items = page.body?.items as { eventId: number }[];
      if (items.length === 0) break;
      expect(items.length).toBeLessThanOrEqual(3);
      paged.push(...items.map((e) => e.eventId));
      after = page.body?.nextAfter as number;
    }
    expect(paged).toEqual(whole.map((e) => e.eventId));
    expect(paged).toEqual(paged.map((_e, i) => i + 1));
  });
});

describe('realtime sessions', () => {
  it('at speed 10 a handshake (30 ms of virtual time) finishes in a few wall milliseconds', async () => {
    const { app } = await freshApp();
    const created = await call(app, 'POST', '/v1/sessions', {
      seed: 1,
      clock: { mode: 'realtime', speed: 10 },
    });
    expect(created.body).toMatchObject({ clock: { mode: 'realtime', speed: 10, running: false } });
    const base = `/v1/sessions/${String(created.body?.id)}`;
    await clientAndServer(app, base);
    const started = performance.now();
    const played = await call(app, 'POST', `${base}/clock`, { action: 'play' });
    expect(played.status).toBe(200);

    let state = '';
    while (state !== 'ESTABLISHED' && performance.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      state = String((await call(app, 'GET', `${base}/endpoints/e3`)).body?.state);
    }
    const wallMs = performance.now() - started;
    expect(state).toBe('ESTABLISHED');
    // 30 ms of virtual time at speed 10 is 3 ms of wall time; ticks and requests add a little.
    expect(wallMs).toBeGreaterThanOrEqual(3);
    const segments = await call(app, 'GET', `${base}/segments`);
    expect(
      (segments.body?.items as { flags: string; timeMs: number }[]).map((s) => [s.flags, s.timeMs]),
    ).toEqual([
      ['S', 0],
      ['S.', 10],
      ['.', 20],
    ]);

    // While it plays, the clock is not moved by hand; paused, it stays where it is.
    const step = await call(app, 'POST', `${base}/clock`, { action: 'step' });
    expect(step.body).toMatchObject({ status: 409, code: 'CLOCK_CONFLICT' });
    await call(app, 'POST', `${base}/clock`, { action: 'pause' });
    const pausedAt = (await call(app, 'GET', base)).body?.clock as {
      nowMs: number;
      running: boolean;
    };
    expect(pausedAt.running).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await call(app, 'GET', base)).body?.clock).toMatchObject({ nowMs: pausedAt.nowMs });
  });

  it('play and pause are for realtime sessions only', async () => {
    const { app } = await freshApp();
    const { base } = await labSession(app);
    const play = await call(app, 'POST', `${base}/clock`, { action: 'play', speed: 2 });
    expect(play.body).toMatchObject({ status: 409, code: 'CLOCK_CONFLICT' });
    const tooFast = await call(app, 'POST', `${base}/clock`, { action: 'play', speed: 1000 });
    expect(tooFast.status).toBe(400);
  });
});

describe('realtime sessions after a restart', () => {
  it('are rebuilt at the virtual times their commands ran, and play on where they were', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = await appOn(db);
    const created = await call(first, 'POST', '/v1/sessions', {
      seed: 3,
      clock: { mode: 'realtime', speed: 20 },
    });
    const base = `/v1/sessions/${String(created.body?.id)}`;
    await call(first, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    await call(first, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
    await call(first, 'POST', `${base}/endpoints/e1/listen`);
    await call(first, 'POST', `${base}/clock`, { action: 'play' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The connect happens at whatever virtual time the clock has reached.
    await call(first, 'POST', `${base}/endpoints/e2/connect`, {
      remote: { address: '10.0.0.2', port: 80 },
    });
    let state = '';
    while (state !== 'ESTABLISHED') {
      await new Promise((resolve) => setTimeout(resolve, 5));
      state = String((await call(first, 'GET', `${base}/endpoints/e3`)).body?.state);
    }
    const segmentsBefore = (await call(first, 'GET', `${base}/segments`)).body;
    const endpointsBefore = (await call(first, 'GET', `${base}/endpoints`)).body;
    await first.close();

    const second = await appOn(db);
    await second.ready();
    expect((await call(second, 'GET', `${base}/segments`)).body).toEqual(segmentsBefore);
    const endpointsAfter = (await call(second, 'GET', `${base}/endpoints`)).body;
    expect((endpointsAfter?.items as { tcb: unknown }[]).map((e) => e.tcb)).toEqual(
      (endpointsBefore?.items as { tcb: unknown }[]).map((e) => e.tcb),
    );
    expect((await call(second, 'GET', base)).body?.clock).toMatchObject({ running: true });
    await call(second, 'POST', `${base}/clock`, { action: 'pause' });
  });
});
