// Memory follows the active sessions: an idle session leaves memory (snapshotted), the least
// recently used leave past the cap, and the next request brings a session back exactly.
import { afterEach, describe, expect, it } from 'vitest';
import { latestSnapshot } from '../src/runtime/store.js';
import { call, clientAndServer, migratedApp } from './apps.js';
import { connect, listening, subscribe } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type App = Awaited<ReturnType<typeof migratedApp>>['app'];

/** A session with a handshake and 20 kB sent, its clock run until idle. */
async function transfer(app: App, name: string): Promise<string> {
  const created = await call(app, 'POST', '/v1/sessions', { name, seed: 7 });
  const base = `/v1/sessions/${String(created.body?.id)}`;
  await clientAndServer(app, base);
  await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes: 20_000 });
  await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
  return base;
}

/** What a user sees of a session: its endpoints and its whole trace. */
async function seen(app: App, base: string) {
  const endpoints = (await call(app, 'GET', `${base}/endpoints`)).body;
  const events = (await call(app, 'GET', `${base}/events?limit=1000`)).body;
  return { endpoints, events };
}

const until = async (check: () => boolean, what: string) => {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const idOf = (base: string) => base.split('/').at(-1) ?? '';

describe('sessions in memory', () => {
  it('an idle session leaves memory, snapshotted, and comes back exactly as it was', async () => {
    const { app, db } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      runtime: { idleMs: 300, sweepMs: 50 },
    });
    const base = await transfer(app, 'idle');
    const before = await seen(app, base);
    await until(() => app.runtime.running(idOf(base)) === undefined, 'the session to leave');
    // Snapshotted after its last command (written as it leaves): coming back replays nothing.
    await expect
      .poll(async () => (await latestSnapshot(db.database.prisma, idOf(base)))?.commandSeq)
      .toBe(6);

    expect(await seen(app, base)).toEqual(before);
    expect(app.runtime.running(idOf(base))).toBeDefined();
    // And it goes on as a session that never left: the same trace as a control one.
    const control = await transfer(app, 'control');
    for (const b of [base, control]) {
      await call(app, 'POST', `${b}/endpoints/e2/close`);
      await call(app, 'POST', `${b}/clock`, { action: 'advance', ms: 500 });
    }
    const [back, never] = [await seen(app, base), await seen(app, control)];
    expect(back.events).toEqual(never.events);
    expect(back.endpoints).toEqual(never.endpoints);
  });

  it('a playing session, or one a stream here watches, stays however idle', async () => {
    const { app } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      runtime: { idleMs: 100, sweepMs: 20 },
    });
    const played = await call(app, 'POST', '/v1/sessions', {
      clock: { mode: 'realtime', speed: 1 },
    });
    const playing = `/v1/sessions/${String(played.body?.id)}`;
    await clientAndServer(app, playing);
    expect((await call(app, 'POST', `${playing}/clock`, { action: 'play' })).status).toBe(200);
    const watched = await transfer(app, 'watched');
    const socket = await connect(cleanups, await listening(app));
    expect(await subscribe(socket, { sessionId: idOf(watched) })).toMatchObject({ ok: true });
    const quiet = await transfer(app, 'quiet');
    await until(() => app.runtime.running(idOf(quiet)) === undefined, 'the quiet one to leave');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(app.runtime.running(idOf(playing))).toBeDefined();
    expect(app.runtime.running(idOf(watched))).toBeDefined();
    // Paused, or no longer watched, they leave in their turn.
    await call(app, 'POST', `${playing}/clock`, { action: 'pause' });
    await until(() => app.runtime.running(idOf(playing)) === undefined, 'the paused one to leave');
    await new Promise((resolve) =>
      socket.emit('unsubscribe', { sessionId: idOf(watched) }, resolve),
    );
    await until(
      () => app.runtime.running(idOf(watched)) === undefined,
      'the unwatched one to leave',
    );
  });

  it('past maxLiveSessions the least recently used leave first', async () => {
    const { app } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      runtime: { maxLiveSessions: 2, pinMs: 0 },
    });
    const a = await transfer(app, 'a');
    const b = await transfer(app, 'b');
    await call(app, 'GET', a); // a is now used after b
    const c = await transfer(app, 'c');
    await until(() => app.runtime.running(idOf(b)) === undefined, 'b to leave');
    expect([a, c].map((s) => app.runtime.running(idOf(s)) !== undefined)).toEqual([true, true]);
    // b comes back on its next request, and the least recently used of the others leaves.
    expect((await call(app, 'GET', `${b}/endpoints/e2`)).body).toMatchObject({
      state: 'ESTABLISHED',
    });
    await until(() => app.runtime.running(idOf(a)) === undefined, 'a to leave');
    expect(app.runtime.running(idOf(c))).toBeDefined();
  });

  it('a session used within pinMs stays past the cap: a request never loses the session it holds', async () => {
    const { app } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      runtime: { maxLiveSessions: 1, pinMs: 60_000 },
    });
    const a = await transfer(app, 'a');
    const b = await transfer(app, 'b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([a, b].map((s) => app.runtime.running(idOf(s)) !== undefined)).toEqual([true, true]);
  });
});
