import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type AppOptions } from '../src/app.js';
import { openDatabase } from '../src/store/database.js';
import {
  EmbeddedPostgresError,
  startEmbeddedPostgres,
  type RunningPostgres,
} from '../src/store/embedded-postgres.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  readMigrations,
} from '../src/store/migrations.js';
import { installedPrograms } from '../src/store/postgres-programs.js';
import { isRunning } from '../src/store/processes.js';
import { runTs } from './processes.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
let dataDir: string;
const running: RunningPostgres[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcplab-embedded-'));
});

/** What a test opened on its Postgres (apps, pools) or moved out of it, undone first. */
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const postgres of running.splice(0)) await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<RunningPostgres> {
  const postgres = await startEmbeddedPostgres({ dataDir, log: quiet });
  running.push(postgres);
  return postgres;
}

/** The service on `postgres`, migrated, telling /healthz and /readyz how its Postgres is. */
async function appOn(postgres: RunningPostgres, options: Pick<AppOptions, 'auth'> = {}) {
  const database = await openDatabase(postgres.url, { connectTimeoutMs: 1_000 });
  cleanups.push(() => database.close());
  const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
  await applyMigrations(database.pool, migrations);
  const app = await buildApp({
    database,
    migrations,
    embeddedDatabase: () => postgres.status(),
    ...options,
  });
  cleanups.push(() => app.close());
  return app;
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Every live process whose command line mentions the cluster folder. */
async function postgresProcessesOn(clusterDir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(clusterDir) && (await isRunning(Number(entry)))) found.push(entry);
  }
  return found;
}

describe('embedded PostgreSQL', () => {
  it('starts on a free loopback port with the tcplab database, and stops leaving no process', async () => {
    const postgres = await start();
    expect(postgres.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/tcplab$/);
    expect(postgres.port).not.toBe(5432);
    expect(await query(postgres.url, 'SELECT current_database() AS db')).toEqual([
      { db: 'tcplab' },
    ]);
    expect(await isRunning(postgres.pid)).toBe(true);

    await postgres.stop();
    await postgres.stop(); // stopping twice is harmless

    expect(await isRunning(postgres.pid)).toBe(false);
    if (process.platform === 'linux')
      expect(await postgresProcessesOn(postgres.clusterDir)).toEqual([]);
    await expect(stat(join(postgres.clusterDir, 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dataDir, 'tcplab.pid'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps its data across a restart', async () => {
    const first = await start();
    await query(first.url, 'CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)');
    await first.stop();

    const second = await start();
    expect(await query(second.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
  });

  it('keeps the generated password out of reach of other users', async () => {
    await start();
    const { mode } = await stat(join(dataDir, 'postgres.json'));
    expect(mode & 0o077).toBe(0);
  });

  it('recovers from a stale postmaster.pid whose process is gone', async () => {
    const first = await start();
    const pidFile = join(first.clusterDir, 'postmaster.pid');
    await first.stop();
    // What a crash leaves: the pid file of a postmaster that no longer exists.
    await writeFile(pidFile, `999999\n${first.clusterDir}\n0\n${first.port}\n\n127.0.0.1\n`);

    const second = await start();
    expect(await query(second.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('shuts down the Postgres orphaned by a run killed with SIGKILL, then starts', async () => {
    const holder = runTs('test/fixtures/hold-embedded-postgres.ts', [dataDir], process.env);
    const [, pid] = await holder.waitFor(/READY (\d+)/);
    const orphan = Number(pid);
    holder.process.kill('SIGKILL');
    await holder.exited();
    expect(await isRunning(orphan)).toBe(true);

    const postgres = await start();

    expect(await isRunning(orphan)).toBe(false);
    expect(postgres.pid).not.toBe(orphan);
    expect(await query(postgres.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('refuses a data directory another live tcplab process is using', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)']);
    try {
      await writeFile(join(dataDir, 'tcplab.pid'), `${other.pid}\n`);
      const error: unknown = await start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect((error as Error).message).toBe(
        `${dataDir} is in use by another tcplab process (pid ${other.pid}); ` +
          'stop it, or set TCPLAB_DATA_DIR to another folder',
      );
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('is started again on its port when it dies: meanwhile 503 with Retry-After, then all is back', async () => {
    const postgres = await start();
    const app = await appOn(postgres, { auth: { mode: 'disabled' } });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      payload: { name: 'kept' },
    });
    expect(created.statusCode).toBe(201);
    const base = `/v1/sessions/${created.json<{ id: string }>().id}`;
    const post = (url: string, payload?: object) =>
      app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
    await post(`${base}/endpoints`, { name: 'server', address: '10.0.0.2', port: 80 });
    await post(`${base}/endpoints`, { name: 'client', address: '10.0.0.1', port: 49152 });
    expect((await post(`${base}/endpoints/e1/listen`)).statusCode).toBe(200);
    const before = postgres.pid;
    process.kill(before, 'SIGKILL'); // killed, say, by the kernel's OOM killer
    while (postgres.status().state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(postgres.status()).toEqual({ state: 'restarting', restarts: 0 });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({
      status: 'ok',
      embeddedDatabase: { state: 'restarting', restarts: 0 },
    });
    const during = await app.inject({ method: 'GET', url: '/v1/sessions' });
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(during.json()).toMatchObject({
      code: 'NOT_READY',
      detail: 'the database does not answer; retry shortly',
    });
    // A command meanwhile is refused, not half-applied.
    const connect = () =>
      post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
    const refused = await connect();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');

    await expect
      .poll(() => postgres.status(), { timeout: 45_000, interval: 50 })
      .toEqual({ state: 'running', restarts: 1 });
    expect(postgres.pid).not.toBe(before);
    // The pools reconnect to the same URL: the data is there, and the service ready.
    const after = await app.inject({ method: 'GET', url: '/v1/sessions' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ items: [{ name: 'kept' }] });
    // Every acknowledged command is there; the refused one was not applied, and goes now.
    const endpoints = await app.inject({ method: 'GET', url: `${base}/endpoints` });
    expect(
      endpoints
        .json<{ items: { name: string; state: string }[] }>()
        .items.map(({ name, state }) => [name, state]),
    ).toEqual([
      ['server', 'LISTEN'],
      ['client', 'CLOSED'],
    ]);
    expect((await connect()).statusCode).toBe(200);
    await post(`${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const client = await app.inject({ method: 'GET', url: `${base}/endpoints/e2` });
    expect(client.json()).toMatchObject({ state: 'ESTABLISHED' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      checks: { database: 'up', embeddedDatabase: { state: 'running', restarts: 1 } },
    });
  });

  it('says so when a postmaster that died cannot be started again', async () => {
    const failures: Error[] = [];
    const postgres = await startEmbeddedPostgres({
      dataDir,
      log: quiet,
      restartAttempts: 2,
      onFailure: (error) => failures.push(error),
    });
    running.push(postgres);
    const app = await appOn(postgres);
    // Its cluster gone from under it (a disk unmounted, say): no start can succeed.
    const moved = `${postgres.clusterDir}.moved`;
    const { rename } = await import('node:fs/promises');
    await rename(postgres.clusterDir, moved);
    cleanups.push(() => rm(moved, { recursive: true, force: true }));
    process.kill(postgres.pid, 'SIGKILL');
    await expect
      .poll(() => postgres.status(), { timeout: 20_000, interval: 50 })
      .toEqual({ state: 'failed', restarts: 0 });
    expect(failures).toHaveLength(1);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      code: 'NOT_READY',
      checks: { database: 'down', embeddedDatabase: { state: 'failed', restarts: 0 } },
    });
  });

  it('makes /readyz answer 503 once it has stopped', async () => {
    const postgres = await start();
    const app = await appOn(postgres);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await postgres.stop();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'NOT_READY', checks: { database: 'down' } });
  });
});

// PostgreSQL refuses to run as root; as root, tcplab runs it as the `postgres` user. A project
// in root's private home (/root/tcplab, mode 700 above it) is out of that user's reach, and
// `npm start` must work there all the same. As any other user there is no second user to reach.
describe.runIf(process.getuid?.() === 0)('embedded PostgreSQL run by root', () => {
  let privateDir: string;
  afterEach(async () => {
    await rm(privateDir, { recursive: true, force: true });
  });

  it('runs from a private folder, with programs and cluster where the postgres user reaches them, and keeps its data', async () => {
    // A private folder holding both the PostgreSQL build and the data dir, as /root/tcplab does.
    privateDir = await mkdtemp(join(tmpdir(), 'tcplab-private-'));
    await chmod(privateDir, 0o700);
    const installed = await installedPrograms();
    const programs = { root: join(privateDir, 'native'), version: `${installed.version}-test` };
    await cp(installed.root, programs.root, { recursive: true, verbatimSymlinks: true });
    await chmod(dataDir, 0o755);
    const systemDir = join(dataDir, 'system'); // as /var/lib/tcplab: reachable by all
    const privateData = join(privateDir, '.tcplab');
    const messages: string[] = [];
    const log = { ...quiet, info: (message: string) => messages.push(message) };
    const startPrivate = async () => {
      const postgres = await startEmbeddedPostgres({
        dataDir: privateData,
        programs,
        systemDir,
        log,
      });
      running.push(postgres);
      return postgres;
    };

    const first = await startPrivate();
    expect(first.clusterDir.startsWith(join(systemDir, 'clusters'))).toBe(true);
    expect(
      (await stat(join(systemDir, `postgres-${programs.version}`, 'bin', 'postgres'))).isFile(),
    ).toBe(true);
    expect(messages).toContainEqual(
      expect.stringContaining(
        `which cannot reach ${privateData}; the cluster for that data dir is in ${first.clusterDir}`,
      ),
    );
    // The postmaster runs as postgres, not as root.
    const status = await readFile(`/proc/${first.pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+(?!0\s)\d+/m);
    await query(first.url, 'CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)');
    await first.stop();

    const second = await startPrivate();
    expect(second.clusterDir).toBe(first.clusterDir);
    expect(await query(second.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    await second.stop();

    // The project deleted and cloned again to the same path: its database is found and opens.
    await rm(privateData, { recursive: true, force: true });
    const third = await startPrivate();
    expect(third.clusterDir).toBe(first.clusterDir);
    expect(await query(third.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    expect((await stat(`${first.clusterDir}.json`)).mode & 0o077).toBe(0);
    // The private folder's permissions were left as they were.
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
  });
});
