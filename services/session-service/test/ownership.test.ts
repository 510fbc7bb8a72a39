// One owner per session, any instance answers (DESIGN.md, scale-out): two instances on one
// database, reached over real HTTP. A session driven through both in turn ends exactly as one
// driven through one; a request for a session the other instance holds is forwarded there
// with the caller's identity signed; a former owner whose lease was taken writes nothing; an
// instance that closes gives its sessions to the other at once.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { FORWARDED_HEADER } from '../src/cluster/identity.js';
import { openDatabase } from '../src/store/database.js';
import { newKey } from './apps.js';
import { ask, type Answer } from './instances.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';
import { listening } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Instance {
  app: App;
  url: string;
}

async function instance(db: MigratedDatabase, leaseMs = 5_000): Promise<Instance> {
  const database = await openDatabase(db.url);
  cleanups.push(() => database.close());
  const app = await buildApp({
    database,
    migrations: db.migrations,
    runtime: { randomSeed: () => 7, leaseMs },
  });
  cleanups.push(() => app.close());
  return { app, url: await listening(app) };
}

function request(
  at: Instance,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  key: string,
  body?: unknown,
): Promise<Answer> {
  return ask(at.url, method, path, body, key);
}

/** A lab's commands: a connection, 20 kB across a link that changes, both closes. */
const LAB: [method: 'POST' | 'PATCH', path: string, body?: unknown][] = [
  ['POST', '/endpoints', { name: 'server', address: '10.0.0.2', port: 80 }],
  ['POST', '/endpoints', { name: 'client', address: '10.0.0.1', port: 49152 }],
  ['POST', '/endpoints/e1/listen'],
  ['POST', '/endpoints/e2/connect', { remote: { address: '10.0.0.2', port: 80 } }],
  ['POST', '/clock', { action: 'advance', ms: 30 }],
  ['POST', '/endpoints/e2/send', { bytes: 20_000 }],
  ['POST', '/clock', { action: 'advance', ms: 15 }],
  ['PATCH', '', { link: { delayMs: 25, lossRate: 0.05 } }],
  ['POST', '/clock', { action: 'advance', ms: 40 }],
  ['POST', '/clock', { action: 'run', untilIdle: true, maxMs: 10_000 }],
  ['POST', '/endpoints/e3/receive', {}],
  ['POST', '/endpoints/e2/close'],
  ['POST', '/endpoints/e3/close'],
  ['POST', '/clock', { action: 'run', untilIdle: true, maxMs: 10_000 }],
];

/**
 * Runs the lab with each request sent to `pick(i)`; every answer must be a success. Answers
 * what a user reads of the session at the end, asked of each instance in turn.
 */
async function runLab(pick: (i: number) => Instance, key: string) {
  const created = await request(pick(0), 'POST', '/v1/sessions', key, { name: 'lab', seed: 11 });
  expect(created.status).toBe(201);
  const base = `/v1/sessions/${String(created.body?.id)}`;
  const answers: unknown[] = [];
  for (const [i, [method, path, body]] of LAB.entries()) {
    const answer = await request(pick(i + 1), method, `${base}${path}`, key, body);
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
    answers.push(withoutIdentity(answer.body));
    // A read right after the command, of the other instance: never stale.
    const read = await request(pick(i + 2), 'GET', base, key);
    expect(read.status).toBe(200);
    expect(read.body?.lastEventId).toBeGreaterThanOrEqual(0);
  }
  const reads = ['', '/endpoints', '/events?limit=1000', '/segments?limit=1000'];
  const seen: Record<string, unknown> = {};
  for (const [i, path] of reads.entries()) {
    const read = await request(pick(i), 'GET', `${base}${path}`, key);
    expect(read.status).toBe(200);
    seen[path] = read.body;
  }
  seen[''] = withoutIdentity(seen['']);
  return { base, answers, seen };
}

/** A session's answer without what differs between two sessions made alike (id, creation). */
function withoutIdentity(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('createdAt' in body)) return body;
  const { id: _id, createdAt: _createdAt, ...rest } = body as Record<string, unknown>;
  return rest;
}

describe('two instances, one session', () => {
  it('every request alternating between them: the same answers, trace and states as one instance', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const a = await instance(db);
    const b = await instance(db);
    const key = await newKey(db, 'uni-a', 'instructor');

    const alone = await runLab(() => a, key);
    const alternating = await runLab((i) => (i % 2 === 0 ? a : b), key);

    expect(alternating.answers).toEqual(alone.answers);
    expect(alternating.seen).toEqual(alone.seen);
    const events = (alternating.seen['/events?limit=1000'] as { items: unknown[] }).items;
    expect(events.length).toBeGreaterThan(100);
    // One instance ran it; the other forwarded to it.
    const sid = alternating.base.split('/').at(-1) ?? '';
    expect([a, b].filter((x) => x.app.runtime.running(sid) !== undefined)).toHaveLength(1);
  }, 60_000);

  it('a GET through either instance shows the command just acknowledged through the other', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const a = await instance(db);
    const b = await instance(db);
    const key = await newKey(db, 'uni-a', 'instructor');
    const created = await request(a, 'POST', '/v1/sessions', key, { seed: 3 });
    const base = `/v1/sessions/${String(created.body?.id)}`;
    // Where it is: what a balancer learns the session's instance from.
    expect(created.location).toBe(base);
    for (let ms = 1; ms <= 20; ms++) {
      const moved = await request(ms % 2 === 0 ? a : b, 'POST', `${base}/clock`, key, {
        action: 'advance',
        ms: 1,
      });
      expect(moved.status).toBe(200);
      const read = await request(ms % 2 === 0 ? b : a, 'GET', base, key);
      expect(read.body?.clock).toMatchObject({ nowMs: ms });
    }
    // Listing reads rows, loads nothing, and is as fresh from either instance.
    for (const at of [a, b]) {
      const list = await request(at, 'GET', '/v1/sessions', key);
      expect(list.body?.items).toMatchObject([{ clock: { nowMs: 20 } }]);
    }
  }, 30_000);

  it("another tenant's session is 404 from either instance, forwarded or not", async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const a = await instance(db);
    const b = await instance(db);
    const mine = await newKey(db, 'uni-a', 'instructor');
    const theirs = await newKey(db, 'uni-b', 'instructor');
    const created = await request(a, 'POST', '/v1/sessions', mine, {});
    const base = `/v1/sessions/${String(created.body?.id)}`;
    for (const at of [a, b]) {
      const answer = await request(at, 'GET', base, theirs);
      expect(answer.status).toBe(404);
      expect(answer.body?.code).toBe('NOT_FOUND');
    }
  }, 30_000);

  it('a forged or replayed forwarded identity is refused', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const a = await instance(db);
    const key = await newKey(db, 'uni-a', 'instructor');
    const created = await request(a, 'POST', '/v1/sessions', key, {});
    const base = `/v1/sessions/${String(created.body?.id)}`;
    const forged = Buffer.from(
      JSON.stringify({
        tenantId: 'uni-a',
        role: 'admin',
        budget: 'x',
        hops: 1,
        method: 'GET',
        url: base,
        until: Date.now() + 10_000,
      }),
    ).toString('base64url');
    for (const header of [`${forged}.AAAA`, forged, 'garbage', `${forged}.${forged}.x`]) {
      const answer = await fetch(`${a.url}${base}`, { headers: { [FORWARDED_HEADER]: header } });
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    }
  }, 30_000);
});

describe('leases', () => {
  it('a former owner whose lease another took writes nothing, and answers through the new owner', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    // Long leases: no renewal tells A of its loss before its next write does.
    const a = await instance(db, 60_000);
    const b = await instance(db, 60_000);
    const key = await newKey(db, 'uni-a', 'instructor');
    const created = await request(a, 'POST', '/v1/sessions', key, { seed: 5 });
    const sid = String(created.body?.id);
    const base = `/v1/sessions/${sid}`;
    await request(a, 'POST', `${base}/clock`, key, { action: 'advance', ms: 5 });
    // As if A had paused past its lease: the lease lapses in the database, A does not know.
    await db.database.pool.query(
      `UPDATE session_leases SET expires_at = now() - interval '1 second' WHERE session_id = $1`,
      [sid],
    );
    const moved = await request(b, 'POST', `${base}/clock`, key, { action: 'advance', ms: 5 });
    expect(moved.status).toBe(200);
    expect(b.app.runtime.running(sid)).toBeDefined();
    const { rows } = await db.database.pool.query<{ epoch: string; owner_url: string }>(
      'SELECT epoch, owner_url FROM session_leases WHERE session_id = $1',
      [sid],
    );
    expect(rows).toEqual([{ epoch: '2', owner_url: b.url }]);

    // A still has the session in memory and believes its lease good: its write is fenced, and
    // the request is answered by B.
    expect(a.app.runtime.running(sid)).toBeDefined();
    const late = await request(a, 'POST', `${base}/clock`, key, { action: 'advance', ms: 5 });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ nowMs: 15 });
    expect(a.app.runtime.running(sid)).toBeUndefined();
    const log = await db.database.pool.query<{ seq: number }>(
      'SELECT seq FROM commands WHERE session_id = $1 ORDER BY seq',
      [sid],
    );
    expect(log.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    const events = await request(a, 'GET', `${base}/events?limit=1000`, key);
    const ids = (events.body?.items as { eventId: number }[]).map((e) => e.eventId);
    expect(ids).toEqual(ids.map((_e, i) => i + 1));
  }, 30_000);

  it('an instance that closes hands its sessions to the other, which serves them without waiting', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const a = await instance(db, 60_000);
    const b = await instance(db, 60_000);
    const key = await newKey(db, 'uni-a', 'instructor');
    const created = await request(a, 'POST', '/v1/sessions', key, { seed: 9 });
    const sid = String(created.body?.id);
    const base = `/v1/sessions/${sid}`;
    await request(a, 'POST', `${base}/clock`, key, { action: 'advance', ms: 7 });
    await a.app.close();

    // Handed to B, the serving instance, with a new epoch: A can write nothing more of it.
    const { rows } = await db.database.pool.query<{ owner_url: string; epoch: string }>(
      'SELECT owner_url, epoch FROM session_leases WHERE session_id = $1',
      [sid],
    );
    expect(rows).toEqual([{ owner_url: b.url, epoch: '2' }]);
    const instances = await db.database.pool.query<{ url: string; state: string }>(
      'SELECT url, state FROM cluster_instances ORDER BY url',
    );
    expect(instances.rows).toEqual([{ url: b.url, state: 'serving' }]);
    // Snapshotted at close: B replays nothing.
    const snapshots = await db.database.pool.query<{ command_seq: number }>(
      'SELECT command_seq FROM snapshots WHERE session_id = $1',
      [sid],
    );
    expect(snapshots.rows).toEqual([{ command_seq: 1 }]);
    const started = performance.now();
    const read = await request(b, 'GET', base, key);
    expect(read.body?.clock).toMatchObject({ nowMs: 7 });
    // Far less than the 60 s lease: B did not wait for it to lapse.
    expect(performance.now() - started).toBeLessThan(5_000);
  }, 30_000);
});
