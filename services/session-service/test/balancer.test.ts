// Three instances behind HAProxy, run with docker/haproxy.cfg itself, on loopback: a class of
// 100 sessions driven at once while one instance is killed ends exactly as a control run on one
// instance; a rolling restart (SIGTERM each instance in turn, then start it again) under load
// fails no request.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBatch, TraceEvent } from '@tcplab/contract';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';
import {
  ADMIN_KEY,
  ask,
  eventually,
  freePorts,
  startBalancer,
  startInstance,
  type Answer,
  type Instance,
} from './instances.js';
import { killLeftovers, type Child } from './processes.js';
import { connect, subscribe, type Client } from './sockets.js';

const LEASE_MS = 1_500;

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killLeftovers(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Cluster {
  db: MigratedDatabase;
  ports: number[];
  instances: Instance[];
  balancer: string;
  start: (index: number) => Promise<Instance>;
}

async function cluster(): Promise<Cluster> {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  const [bind = 0, ...ports] = await freePorts(4);
  const start = (index: number) =>
    startInstance(children, db.url, {
      PORT: String(ports[index]),
      TCPLAB_LEASE_MS: String(LEASE_MS),
      TCPLAB_DRAIN_MS: '1500',
      LOG_LEVEL: 'warn',
      TCPLAB_TRUSTED_PROXIES: '127.0.0.1',
      // The class and its control run: 200 sessions of one tenant, driven by one key.
      TCPLAB_MAX_SESSIONS: '1000',
      TCPLAB_RATE_LIMIT: '1000000',
    });
  const instances = await Promise.all([0, 1, 2].map(start));
  const balancer = await startBalancer(
    cleanups,
    bind,
    ports.map((port) => `127.0.0.1:${port}`),
  );
  return { db, ports, instances, balancer, start };
}

/** One student's lab: a lossy transfer of 30 kB, moved in steps, read, both sides closed. */
function lab(seed: number): [method: string, path: string, body?: unknown][] {
  const steps: [string, string, unknown?][] = [
    ['POST', '/endpoints', { address: '10.0.0.2', port: 80 }],
    ['POST', '/endpoints', { address: '10.0.0.1', port: 49152 }],
    ['POST', '/endpoints/e1/listen'],
    ['POST', '/endpoints/e2/connect', { remote: { address: '10.0.0.2', port: 80 } }],
    ['POST', '/clock', { action: 'advance', ms: 20 }],
    ['POST', '/endpoints/e2/send', { bytes: 30_000 + seed }],
  ];
  for (let i = 0; i < 8; i++) steps.push(['POST', '/clock', { action: 'advance', ms: 15 }]);
  steps.push(
    ['POST', '/clock', { action: 'run', untilIdle: true, maxMs: 20_000 }],
    ['POST', '/endpoints/e3/receive', {}],
    ['POST', '/endpoints/e2/close'],
    ['POST', '/endpoints/e3/close'],
    ['POST', '/clock', { action: 'run', untilIdle: true, maxMs: 20_000 }],
  );
  return steps;
}

async function commandsLogged(db: MigratedDatabase, sid: string): Promise<number> {
  const { rows } = await db.database.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM commands WHERE session_id = $1',
    [sid],
  );
  return Number(rows[0]?.n);
}

/** Answers lost (their instance killed), as the drivers saw them. */
const lost: string[] = [];

/** A request whose answer may be lost (its instance killed): undefined then. */
async function attempt(url: string, method: string, path: string, body?: unknown) {
  try {
    const answer = await ask(url, method, path, body);
    if (answer.status < 500) return answer;
    lost.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  } catch (error) {
    lost.push(`${method} ${path}: ${String(error)}`);
  }
  return undefined;
}

/**
 * Drives one lab through `url`. A command whose answer was lost is looked up in the log once
 * the lease of an instance that died has lapsed (as a careful client reads the session before
 * sending again) and sent again only if it is not there.
 * Answers the session id and how many commands were acknowledged.
 */
async function driveLab(
  db: MigratedDatabase,
  url: string,
  name: string,
  seed: number,
  progress: () => void,
) {
  let sid: string | undefined;
  while (sid === undefined) {
    const created = await attempt(url, 'POST', '/v1/sessions', {
      name,
      seed,
      link: { delayMs: 5, lossRate: 0.02 },
    });
    if (created !== undefined) {
      expect(created.status).toBe(201);
      sid = String(created.body?.id);
    } else {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
      const { rows } = await db.database.pool.query<{ id: string }>(
        'SELECT id FROM sessions WHERE name = $1',
        [name],
      );
      sid = rows[0]?.id;
    }
  }
  let acknowledged = 0;
  for (const [i, [method, path, body]] of lab(seed).entries()) {
    for (;;) {
      const answer: Answer | undefined = await attempt(
        url,
        method,
        `/v1/sessions/${sid}${path}`,
        body,
      );
      if (answer !== undefined) {
        const seen = `${method} ${path}: ${JSON.stringify(answer.body)}; lost: ${lost.join('\n')}`;
        expect(answer.status, seen).toBeLessThan(300);
        acknowledged++;
        break;
      }
      // Whatever the instance that died had under way is committed or gone once its lease has
      // lapsed (its last commit may land just after the client hears of the failure).
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
      if ((await commandsLogged(db, sid)) > i) break; // applied before its answer was lost
    }
    progress();
  }
  return { sid, acknowledged };
}

async function wholeTrace(url: string, sid: string) {
  const read = async (what: string) => {
    const items: unknown[] = [];
    for (let after = 0; ;) {
      const page = await ask(url, 'GET', `/v1/sessions/${sid}/${what}?after=${after}&limit=1000`);
      expect(page.status).toBe(200);
      const got = page.body?.items as unknown[];
      if (got.length === 0) return items;
      items.push(...got);
      after = page.body?.nextAfter as number;
    }
  };
  return { events: await read('events'), segments: await read('segments') };
}

describe('behind HAProxy', () => {
  it('a class of 100 sessions driven at once, one instance killed mid-run: every session ends as a control run', async () => {
    const { db, instances, balancer } = await cluster();
    const CLASS = 100;
    const perLab = lab(0).length;
    let done = 0;
    let killed = false;
    const killAt = (CLASS * perLab) / 3;
    const progress = () => {
      done++;
      if (!killed && done >= killAt) {
        killed = true;
        instances[1]?.child.process.kill('SIGKILL');
      }
    };
    const runs = await Promise.all(
      Array.from({ length: CLASS }, (_x, i) =>
        driveLab(db, balancer, `class-${i}`, 1_000 + i, progress),
      ),
    );
    expect(killed).toBe(true);

    // The control: the same labs on one instance, with nothing killed.
    const survivor = instances[0]?.url ?? '';
    for (const [i, run] of runs.entries()) {
      const logged = await commandsLogged(db, run.sid);
      expect(logged).toBe(perLab); // every command once, the acknowledged ones among them
      expect(run.acknowledged).toBeLessThanOrEqual(logged);
      const control = await driveLab(db, survivor, `control-${i}`, 1_000 + i, () => undefined);
      expect(await wholeTrace(balancer, run.sid)).toEqual(await wholeTrace(survivor, control.sid));
    }
  }, 300_000);

  it('a rolling restart under load (SIGTERM each instance in turn, start it again) fails no request', async () => {
    const { instances, balancer, start } = await cluster();
    const sessions = await Promise.all(
      Array.from({ length: 20 }, async (_x, i) => {
        const created = await ask(balancer, 'POST', '/v1/sessions', { seed: i });
        expect(created.status).toBe(201);
        return `/v1/sessions/${String(created.body?.id)}`;
      }),
    );
    const failures: string[] = [];
    let requests = 0;
    let stop = false;
    const load = sessions.map(async (base) => {
      for (let ms = 1; !stop; ms++) {
        for (const [method, path, body] of [
          ['POST', `${base}/clock`, { action: 'advance', ms: 1 }],
          ['GET', base],
          ['GET', '/v1/sessions'],
        ] as const) {
          requests++;
          const answer = await ask(balancer, method, path, body).catch(
            (error: unknown): Answer => ({
              status: 0,
              body: { error: String(error) },
              location: null,
            }),
          );
          if (answer.status >= 400 || answer.status === 0) {
            failures.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
          }
          const nowMs = (answer.body?.clock as { nowMs?: number } | undefined)?.nowMs;
          if (path === base && nowMs !== ms) {
            // Never stale: the advance just acknowledged shows.
            failures.push(`GET ${path}: nowMs ${nowMs} after the advance to ${ms}`);
          }
        }
      }
    });
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const leaving = instances[i];
      leaving?.child.process.kill('SIGTERM');
      const code = await leaving?.child.exited();
      const said = (leaving?.child.stdout() ?? '')
        .split('\n')
        .filter((line) => !/incoming request|request completed/.test(line))
        .slice(-40)
        .join('\n');
      expect(code, `${said}\n${leaving?.child.stderr()}`).toBe(0);
      instances[i] = await start(i);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stop = true;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(300);
  }, 180_000);

  it('a socket.io client whose instance dies reconnects through HAProxy and resumes with `after`, gapless', async () => {
    const { instances, balancer } = await cluster();
    const [s1] = instances as [Instance, Instance, Instance];
    // A realtime session on s1 playing a transfer (some 8 s of events), watched through
    // HAProxy by a client it sends to s1 (its affinity cookie): s1 then dies with both.
    const created = await ask(s1.url, 'POST', '/v1/sessions', {
      seed: 8,
      clock: { mode: 'realtime', speed: 1 },
      link: { delayMs: 5, rateMbps: 2 },
      defaults: { sndBuffer: 4_000_000, rcvBuffer: 4_000_000 },
    });
    const sid = String(created.body?.id);
    const base = `/v1/sessions/${sid}`;
    for (const [path, body] of [
      ['/endpoints', { address: '10.0.0.2', port: 80 }],
      ['/endpoints', { address: '10.0.0.1', port: 49152 }],
      ['/endpoints/e1/listen', undefined],
      ['/endpoints/e2/connect', { remote: { address: '10.0.0.2', port: 80 } }],
      ['/endpoints/e2/send', { bytes: 2_000_000 }],
      ['/clock', { action: 'play' }],
    ] as const) {
      expect((await ask(s1.url, 'POST', `${base}${path}`, body)).status).toBeLessThan(300);
    }

    const received: TraceEvent[] = [];
    const watchFrom = async (): Promise<Client> => {
      for (;;) {
        const socket = await connect(cleanups, balancer, ADMIN_KEY, { cookie: 'tcplab-io=s1' });
        socket.on('events', (batch: EventBatch) => {
          if (batch.sessionId === sid) received.push(...batch.events);
        });
        const ack = await subscribe(socket, {
          sessionId: sid,
          after: received.at(-1)?.eventId ?? 0,
        });
        if (ack.ok) return socket;
        // The session is moving (its instance died, its lease not yet lapsed): again shortly.
        expect(ack).toMatchObject({ ok: false, code: 'NOT_READY' });
        socket.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const first = await watchFrom();
    await eventually(() => Promise.resolve(received.length > 200), 'events on s1');
    const lost = new Promise((resolve) => first.once('disconnect', resolve));
    s1.child.process.kill('SIGKILL');
    await lost;
    await watchFrom();
    const resumedAt = received.length;
    await eventually(
      () => Promise.resolve(received.length > resumedAt + 200),
      'events after',
    ).catch(async (error: unknown) => {
      const now = await ask(balancer, 'GET', base);
      throw new Error(
        `${String(error)}: received ${received.length} (last ${received.at(-1)?.eventId}), resumed at ${resumedAt}; session ${JSON.stringify(now.body)}`,
      );
    });

    expect((await ask(balancer, 'POST', `${base}/clock`, { action: 'pause' })).status).toBe(200);
    const last = (await ask(balancer, 'GET', base)).body?.lastEventId as number;
    await eventually(() => Promise.resolve(received.at(-1)?.eventId === last), 'the last event');
    // Gapless and without repeats across the instance's death, and as stored.
    expect(received.map((e) => e.eventId)).toEqual(received.map((_e, i) => i + 1));
    const stored: TraceEvent[] = [];
    for (let after = 0; ;) {
      const page = await ask(balancer, 'GET', `${base}/events?limit=1000&after=${after}`);
      const items = page.body?.items as TraceEvent[];
      if (items.length === 0) break;
      stored.push(...items);
      after = page.body?.nextAfter as number;
    }
    expect(received).toEqual(stored);
  }, 120_000);
});
