// The service as an operator runs it: a real process, its exit code and what it prints.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning } from '../src/store/processes.js';
import pg from 'pg';
import { createMigratedDatabase, createTestDatabase } from './databases.js';
import { envWithoutDatabase, killLeftovers, runTs, type Child } from './processes.js';

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killLeftovers(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startService(env: NodeJS.ProcessEnv): Child {
  const child = runTs('src/server.ts', [], { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tcplab-server-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The resources the service logged as closed (JSON lines), in order. */
function closeOrder(child: Child): string[] {
  return child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg)
    .filter((msg) => /^closed /.test(msg));
}

/** Whether the service logged that the signal started its shutdown. */
function loggedSignal(child: Child, signal: string): boolean {
  return child.stdout().includes(`"msg":"${signal}: shutting down"`);
}

/** The one line the service printed to stderr before exiting 1. */
async function failure(child: Child): Promise<string[]> {
  expect(await child.exited()).toBe(1);
  return child.stderr().trimEnd().split('\n');
}

describe('the service process', () => {
  it('starts on the embedded database, becomes ready, and Ctrl-C leaves no Postgres behind', async () => {
    const dataDir = await tempDir();
    const child = startService(envWithoutDatabase({ PORT: '0', TCPLAB_DATA_DIR: dataDir }));
    const [, address] = await child.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);

    const ready = await fetch(`${address}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const postmaster = Number(
      (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n', 1)[0],
    );
    expect(await isRunning(postmaster)).toBe(true);

    child.process.kill('SIGINT');

    expect(await child.exited()).toBe(0);
    expect(await isRunning(postmaster)).toBe(false);
    expect(loggedSignal(child, 'SIGINT')).toBe(true);
    expect(closeOrder(child)).toEqual([
      'closed the HTTP server',
      'closed the database pool',
      'closed embedded PostgreSQL',
    ]);
  });

  it('starts its embedded Postgres again when it dies, and stops the new one at exit', async () => {
    const dataDir = await tempDir();
    const child = startService(envWithoutDatabase({ PORT: '0', TCPLAB_DATA_DIR: dataDir }));
    const [, address] = await child.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    const postmasterPid = async () =>
      Number(
        (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n', 1)[0],
      );
    const first = await postmasterPid();
    expect(await (await fetch(`${address}/healthz`)).json()).toEqual({
      status: 'ok',
      embeddedDatabase: { state: 'running', restarts: 0 },
    });

    process.kill(first, 'SIGKILL');

    await expect
      .poll(async () => (await (await fetch(`${address}/healthz`)).json()) as object, {
        timeout: 45_000,
        interval: 100,
      })
      .toEqual({ status: 'ok', embeddedDatabase: { state: 'running', restarts: 1 } });
    expect((await fetch(`${address}/readyz`)).status).toBe(200);
    expect(child.stdout()).toContain(
      `embedded PostgreSQL (pid ${first}) exited; starting it again`,
    );
    const second = await postmasterPid();
    expect(second).not.toBe(first);

    child.process.kill('SIGINT');
    expect(await child.exited()).toBe(0);
    expect(await isRunning(second)).toBe(false);
  });

  it('stops on SIGTERM too, closing the HTTP server before the database pool', async () => {
    const target = await createMigratedDatabase();
    cleanups.push(() => target.dispose());
    const child = startService({ PORT: '0', DATABASE_URL: target.url });
    const [, address] = await child.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    expect((await fetch(`${address}/healthz`)).status).toBe(200);

    child.process.kill('SIGTERM');

    expect(await child.exited()).toBe(0);
    expect(loggedSignal(child, 'SIGTERM')).toBe(true);
    expect(closeOrder(child)).toEqual(['closed the HTTP server', 'closed the database pool']);
    await expect(fetch(`${address}/healthz`)).rejects.toThrow();
  });

  it('refuses a bad PORT with one line naming it', async () => {
    const child = startService(envWithoutDatabase({ PORT: 'abc' }));
    expect(await failure(child)).toEqual([
      'tcplab: cannot start: invalid configuration: PORT must be an integer from 0 to 65535 (got "abc")',
    ]);
  });

  it('exits with one line when the database cannot be reached', async () => {
    const child = startService({
      PORT: '0',
      DATABASE_URL: 'postgresql://tcplab:secret@127.0.0.1:1/tcplab',
    });
    const lines = await failure(child);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tcplab: cannot start: cannot reach the database at postgresql:\/\/tcplab:\*\*\*@127\.0\.0\.1:1\/tcplab: .*ECONNREFUSED/,
    );
  });

  it('refuses to start when a migration fails, naming it and applying none of it', async () => {
    const target = await createTestDatabase();
    cleanups.push(() => target.drop());
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    cleanups.push(() => client.end());
    // A database that already has a table of the same name, as another application would.
    await client.query('CREATE TABLE "tenants" ("other_app" INTEGER)');

    const child = startService({ PORT: '0', DATABASE_URL: target.url });

    expect(await failure(child)).toEqual([
      'tcplab: cannot start: migration 20261121230000_init failed: relation "tenants" already exists',
    ]);
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['_prisma_migrations', 'tenants']);
    const ledger = await client.query('SELECT * FROM "_prisma_migrations"');
    expect(ledger.rowCount).toBe(0);
  });

  it('exits with one line when the port is in use', async () => {
    const target = await createMigratedDatabase();
    cleanups.push(() => target.dispose());
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as { port: number };

    const child = startService({ PORT: String(port), DATABASE_URL: target.url });

    expect(await failure(child)).toEqual([
      `tcplab: cannot start: port ${port} on 127.0.0.1 is already in use; stop what uses it or set PORT`,
    ]);
  });
});
