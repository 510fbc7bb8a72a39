// Two service instances on one Postgres, joined by socket.io's Postgres adapter: a client of
// instance B watches, in order and complete, a session driven through instance A; revoking a
// viewer token on A disconnects its viewer on B.
import { afterEach, describe, expect, it } from 'vitest';
import type { Cutoff } from '@tcplab/contract';
import { buildApp, type App, type AppOptions } from '../src/app.js';
import { openDatabase } from '../src/store/database.js';
import { call, newKey } from './apps.js';
import { createMigratedDatabase } from './databases.js';
import {
  collect,
  connect as connectClient,
  listening,
  storedTrace,
  subscribe,
  transfer,
  until,
} from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Instances A and B on one database, each with its own pool, both listening. */
async function twoInstances(realtime: AppOptions['realtime'] = {}) {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  const secondPool = await openDatabase(db.url);
  cleanups.push(() => secondPool.close());
  const a = await buildApp({ database: db.database, migrations: db.migrations, realtime });
  cleanups.push(() => a.close());
  const b = await buildApp({ database: secondPool, migrations: db.migrations, realtime });
  cleanups.push(() => b.close());
  const urlA = await listening(a);
  const urlB = await listening(b);
  // The adapter's heartbeats make each instance known to the other (every 5 s at most).
  await eventually(async () => (await servers(a)) === 2 && (await servers(b)) === 2);
  const key = await newKey(db, 'uni-a', 'instructor');
  return { db, a, b, urlA, urlB, key, headers: { authorization: `Bearer ${key}` } };
}

function servers(app: App): Promise<number> {
  return app.io.of('/').adapter.serverCount();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error('the instances never met');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('two instances on one database', () => {
  it('a client of B receives, in order and complete, a session driven through A', async () => {
    const { a, b, urlB, key, headers } = await twoInstances();
    const { sid, base } = await transfer(a, headers);
    await call(a, 'POST', `${base}/clock`, { action: 'advance', ms: 50 }, headers);

    const watcher = await connectClient(cleanups, urlB, key);
    const received = collect(watcher, sid);
    const driving = (async () => {
      for (let i = 0; i < 30; i++) {
        await call(a, 'POST', `${base}/clock`, { action: 'advance', ms: 2 }, headers);
      }
    })();
    const ack = await subscribe(watcher, { sessionId: sid });
    expect(ack).toMatchObject({ ok: true, sessionId: sid });
    await driving;
    const last = (await call(a, 'GET', base, undefined, headers)).body?.lastEventId as number;
    await until(() => received.at(-1)?.eventId === last, `event ${last} on B`);

    expect(received.map((e) => e.eventId)).toEqual(received.map((_e, i) => i + 1));
    expect(received).toEqual(await storedTrace(a, base, headers));
    // B watched through the database; it never ran the session itself.
    expect(b.runtime.running(sid)).toBeUndefined();
    expect(a.runtime.running(sid)).toBeDefined();
  }, 60_000);

  it('a client of B that subscribes again to a session A runs goes on receiving it', async () => {
    const { a, urlB, key, headers } = await twoInstances();
    const { sid, base } = await transfer(a, headers);
    await call(a, 'POST', `${base}/clock`, { action: 'advance', ms: 20 }, headers);
    const watcher = await connectClient(cleanups, urlB, key);
    const received = collect(watcher, sid);
    await subscribe(watcher, { sessionId: sid });
    const first = (await call(a, 'GET', base, undefined, headers)).body?.lastEventId as number;
    await until(() => received.at(-1)?.eventId === first, `event ${first} on B`);

    // Again, from where it is: the feed on B must not close in between.
    expect(await subscribe(watcher, { sessionId: sid, after: first })).toMatchObject({ ok: true });
    await call(a, 'POST', `${base}/clock`, { action: 'advance', ms: 20 }, headers);
    const last = (await call(a, 'GET', base, undefined, headers)).body?.lastEventId as number;
    expect(last).toBeGreaterThan(first);
    await until(() => received.at(-1)?.eventId === last, `event ${last} on B`, 5000);
    expect(received.map((e) => e.eventId)).toEqual(received.map((_e, i) => i + 1));
  }, 60_000);

  it('B keeps tenants apart for sessions it does not run', async () => {
    const { db, a, urlB, headers } = await twoInstances();
    const { sid } = await transfer(a, headers);
    const stranger = await connectClient(cleanups, urlB, await newKey(db, 'uni-b', 'viewer'));
    expect(await subscribe(stranger, { sessionId: sid })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  }, 60_000);

  it('revoking a viewer token on A disconnects its viewer on B', async () => {
    const { a, urlB, headers } = await twoInstances();
    const { sid, base } = await transfer(a, headers);
    const minted = await call(a, 'POST', `${base}/viewer-tokens`, {}, headers);
    const viewer = await connectClient(cleanups, urlB, String(minted.body?.token));
    expect(await subscribe(viewer, { sessionId: sid })).toMatchObject({ ok: true });

    await call(a, 'DELETE', `${base}/viewer-tokens/${String(minted.body?.id)}`, undefined, headers);
    await until(() => viewer.disconnected, 'the viewer on B to be disconnected');
  }, 60_000);

  it('when the instance running a session goes away, its watchers on B resume there', async () => {
    const { a, b, urlB, key, headers } = await twoInstances({ clusterRenewMs: 200 });
    const { sid, base } = await transfer(a, headers);
    await call(a, 'POST', `${base}/clock`, { action: 'advance', ms: 30 }, headers);
    const watcher = await connectClient(cleanups, urlB, key);
    const got = collect(watcher, sid);
    const cutoffs: Cutoff[] = [];
    watcher.on('cutoff', (cutoff) => cutoffs.push(cutoff));
    await subscribe(watcher, { sessionId: sid });
    const lastOnA = (await call(a, 'GET', base, undefined, headers)).body?.lastEventId as number;
    await until(() => got.at(-1)?.eventId === lastOnA, `event ${lastOnA} on B`);

    await a.close();
    await until(() => watcher.disconnected, 'the cut', 10_000);
    expect(cutoffs).toEqual([
      {
        sessionId: sid,
        lastEventId: lastOnA,
        reason: 'no instance runs this session now; subscribe again with after',
      },
    ]);

    // The client subscribes again on B, which now runs the session (rebuilt from its log).
    const again = await connectClient(cleanups, urlB, key);
    const rest = collect(again, sid);
    expect(await subscribe(again, { sessionId: sid, after: lastOnA })).toMatchObject({ ok: true });
    await call(b, 'POST', `${base}/clock`, { action: 'advance', ms: 30 }, headers);
    const last = (await call(b, 'GET', base, undefined, headers)).body?.lastEventId as number;
    expect(last).toBeGreaterThan(lastOnA);
    await until(() => rest.at(-1)?.eventId === last, `event ${last} on B`);
    expect([...got, ...rest]).toEqual(await storedTrace(b, base, headers));
    expect(b.runtime.running(sid)).toBeDefined();
  }, 60_000);
});
