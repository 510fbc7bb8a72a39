// Failover as an operator meets it: real service processes on one database, with short leases.
// A playing session whose instance is killed goes on playing on exactly one other; an instance
// stopped (SIGSTOP) past its lease and then continued writes nothing more of the session, and
// its next request is answered through the instance that took it.
import { afterEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';
import { ask, client, eventually, startInstance, type Api, type Instance } from './instances.js';
import { killLeftovers, type Child } from './processes.js';

const LEASE_MS = 1_500;
const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killLeftovers(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cluster(size: number): Promise<{ db: MigratedDatabase; instances: Instance[] }> {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  const instances = await Promise.all(
    Array.from({ length: size }, () =>
      startInstance(children, db.url, { TCPLAB_LEASE_MS: String(LEASE_MS) }),
    ),
  );
  return { db, instances };
}

/** A realtime session playing a 2 MB transfer over a 2 Mbit/s link: about 8 s of events. */
async function playingTransfer(api: Api): Promise<string> {
  const session = await api('POST', '/v1/sessions', {
    seed: 4,
    clock: { mode: 'realtime', speed: 1 },
    link: { delayMs: 5, rateMbps: 2 },
    defaults: { sndBuffer: 4_000_000, rcvBuffer: 4_000_000 },
  });
  const sid = String(session?.id);
  const base = `/v1/sessions/${sid}`;
  await api('POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
  await api('POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
  await api('POST', `${base}/endpoints/e1/listen`);
  await api('POST', `${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
  await api('POST', `${base}/endpoints/e2/send`, { bytes: 2_000_000 });
  await api('POST', `${base}/clock`, { action: 'play' });
  return sid;
}

async function lease(db: MigratedDatabase, sid: string) {
  const { rows } = await db.database.pool.query<{ owner_url: string; epoch: string }>(
    'SELECT owner_url, epoch FROM session_leases WHERE session_id = $1',
    [sid],
  );
  return rows[0];
}

async function lastEventId(db: MigratedDatabase, sid: string): Promise<number> {
  const { rows } = await db.database.pool.query<{ last: string }>(
    'SELECT last_event_id AS last FROM sessions WHERE id = $1',
    [sid],
  );
  return Number(rows[0]?.last);
}

/** Sessions each instance says it holds (/readyz). */
async function held(instances: Instance[]): Promise<number[]> {
  return Promise.all(
    instances.map(async (instance) => {
      const ready = await ask(instance.url, 'GET', '/readyz');
      return (ready.body?.checks as { cluster: { sessions: number } }).cluster.sessions;
    }),
  );
}

/** The stored trace is whole: event ids 1..last, each once, in both tables together. */
async function expectWholeTrace(db: MigratedDatabase, sid: string): Promise<void> {
  const { rows } = await db.database.pool.query<{ n: string; max: string; distinct: string }>(
    `SELECT count(*) AS n, max(event_id) AS max, count(DISTINCT event_id) AS distinct FROM (
       SELECT event_id FROM trace_events WHERE session_id = $1
       UNION ALL SELECT event_id FROM segments WHERE session_id = $1) AS t`,
    [sid],
  );
  const { n, max, distinct } = rows[0] ?? { n: '0', max: '0', distinct: '0' };
  expect(Number(n)).toBeGreaterThan(100);
  expect(Number(distinct)).toBe(Number(n));
  expect(Number(max)).toBe(Number(n));
}

describe('failover', () => {
  it('a playing session whose instance is killed plays on within the lease, on exactly one instance', async () => {
    const { db, instances } = await cluster(3);
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const sid = await playingTransfer(client(a.url));
    await eventually(async () => (await lastEventId(db, sid)) > 50, 'the session playing on A');
    expect((await lease(db, sid))?.owner_url).toBe(a.url);

    a.child.process.kill('SIGKILL');
    await a.child.exited();
    const killed = performance.now();
    await eventually(
      async () => [b.url, c.url].includes((await lease(db, sid))?.owner_url ?? ''),
      'another instance taking the session',
    );
    // Within the lease and one look for orphans (each instance looks every lease length).
    expect(performance.now() - killed).toBeLessThan(2 * LEASE_MS + 1_000);
    const taken = await lastEventId(db, sid);
    // It plays on by itself: nobody asked for it.
    await eventually(async () => (await lastEventId(db, sid)) > taken + 50, 'events after');
    expect((await held([b, c])).reduce((sum, n) => sum + n, 0)).toBe(1);
    await ask(b.url, 'POST', `/v1/sessions/${sid}/clock`, { action: 'pause' });
    await expectWholeTrace(db, sid);
  }, 90_000);

  it('an owner stopped past its lease writes nothing once continued; its next request goes to the new owner', async () => {
    const { db, instances } = await cluster(2);
    const [a, b] = instances as [Instance, Instance];
    const sid = await playingTransfer(client(a.url));
    await eventually(async () => (await lastEventId(db, sid)) > 50, 'the session playing on A');

    a.child.process.kill('SIGSTOP');
    await eventually(async () => (await lease(db, sid))?.owner_url === b.url, 'B taking it').catch(
      (error: unknown) => {
        throw new Error(`${String(error)}; B said: ${b.child.stdout().slice(-4000)}`);
      },
    );
    expect((await lease(db, sid))?.epoch).toBe('2');
    await eventually(async () => (await lastEventId(db, sid)) > 0, 'B playing it');

    a.child.process.kill('SIGCONT');
    // A wakes up with the session in memory and its clock due: it learns it lost the session
    // (from its renewal, from the fence refusing its write, or from the server having ended
    // the transaction it was paused in) and lets it go.
    await eventually(async () => (await held([a]))[0] === 0, 'A letting the session go');
    const answer = await ask(a.url, 'GET', `/v1/sessions/${sid}`);
    expect(answer.status).toBe(200);
    expect(answer.body?.clock).toMatchObject({ running: true });
    expect(await held([a, b])).toEqual([0, 1]);
    await ask(a.url, 'POST', `/v1/sessions/${sid}/clock`, { action: 'pause' });
    await expectWholeTrace(db, sid);
    const log = await db.database.pool.query<{ seq: number }>(
      'SELECT seq FROM commands WHERE session_id = $1 ORDER BY seq',
      [sid],
    );
    expect(log.rows.map((r) => r.seq)).toEqual(log.rows.map((_r, i) => i + 1));
  }, 90_000);
});
