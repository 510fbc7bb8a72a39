/**
 * The embedded PostgreSQL that the service runs when DATABASE_URL is unset.
 *
 * Layout of the data directory (TCPLAB_DATA_DIR, default ./.tcplab):
 *   postgres/              the cluster (owned by the `postgres` system user when run as root;
 *                          see postgres-placement.ts for root with a private data directory)
 *   postgres.json          the generated superuser password (mode 600; beside the cluster
 *                          instead when that is in the system dir, postgres-placement.ts)
 *   tcplab.pid             the pid of the tcplab process using the cluster
 *
 * Postgres listens on 127.0.0.1 only, on a free port chosen at each start, without a Unix
 * socket. A run killed with SIGKILL leaves Postgres running on its own with its postmaster.pid:
 * the next start shuts that orphan down (it serves our cluster and nobody else) and removes a
 * pid file whose process is gone, so a killed run never blocks the next one.
 *
 * A postmaster that dies while the service runs (killed, out of memory) is started again on
 * the same port, so that the service's pools reconnect to the URL they have; while it is away
 * requests answer 503. If it cannot be started again, `onFailure` says so (the server then
 * exits, for its supervisor to start it afresh). `status()` says which, for /healthz and
 * /readyz.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { withTimeout } from '../support/with-timeout.js';
import { placePostgres, type Placement } from './postgres-placement.js';
import {
  initdb,
  installedPrograms,
  PostmasterExitedError,
  startPostmaster,
  type Postmaster,
  type PostgresPrograms,
} from './postgres-programs.js';
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
  /** The PostgreSQL distribution to run; the installed package's unless set (tests). */
  programs?: PostgresPrograms;
  /** Root's folder for what the `postgres` user must reach; /var/lib/tcplab unless set. */
  systemDir?: string;
  /** Called once if a postmaster that died cannot be started again. */
  onFailure?: (error: Error) => void;
  /** Attempts at starting a postmaster that died, a second apart (default 30; tests fewer). */
  restartAttempts?: number;
}

/** Whether the embedded PostgreSQL runs, is being started again, or could not be. */
export interface EmbeddedPostgresStatus {
  state: 'running' | 'restarting' | 'failed';
  /** Times it died and was started again. */
  restarts: number;
}

export interface RunningPostgres {
  /** Connection URL of the service's database. */
  url: string;
  port: number;
  /** The postmaster's pid (a new one after a restart). */
  readonly pid: number;
  clusterDir: string;
  status(): EmbeddedPostgresStatus;
  /** Fast shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
/**
 * Attempts at starting a postmaster that died, a second apart: the backends it left exit once
 * they notice, and until then the new one refuses the shared memory they still hold.
 */
const RESTART_ATTEMPTS = 30;
const RESTART_DELAY_MS = 1_000;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const { dataDir, log } = options;
  const database = options.database ?? 'tcplab';

  await mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);
  try {
    const placement = await placePostgres({
      dataDir,
      programs: options.programs ?? (await installedPrograms()),
      ...(options.systemDir === undefined ? {} : { systemDir: options.systemDir }),
      log,
    });
    await recoverStalePostmaster(placement.clusterDir, log);
    const password = await ensureCluster(placement, log);
    let postmaster = await startOnFreePort(placement, log);
    const { port } = postmaster;
    const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    await ensureDatabase(url, database).catch(async (error: unknown) => {
      await stopPostmaster(postmaster.pid);
      throw error;
    });
    log.info(`embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${placement.clusterDir})`);

    const status: EmbeddedPostgresStatus = { state: 'running', restarts: 0 };
    let stopping: Promise<void> | undefined;
    const supervise = (running: Postmaster) => {
      void running.exited.then(async () => {
        if (stopping !== undefined) return;
        status.state = 'restarting';
        log.warn(`embedded PostgreSQL (pid ${running.pid}) exited; starting it again`);
        try {
          const attempts = options.restartAttempts ?? RESTART_ATTEMPTS;
          postmaster = { ...(await restartOnPort(placement, port, log, attempts)), port };
        } catch (error) {
          status.state = 'failed';
          const failure = error instanceof Error ? error : new Error(String(error));
          log.warn(`embedded PostgreSQL could not be started again: ${failure.message}`);
          options.onFailure?.(failure);
          return;
        }
        // Stopped while it was starting: this one goes too.
        if (stopping !== undefined) {
          await stopPostmaster(postmaster.pid);
          return;
        }
        status.state = 'running';
        status.restarts += 1;
        log.info(`embedded PostgreSQL running again (pid ${postmaster.pid}) on 127.0.0.1:${port}`);
        supervise(postmaster);
      });
    };
    supervise(postmaster);
    const stop = () =>
      (stopping ??= (async () => {
        await stopPostmaster(postmaster.pid);
        await releaseDataDir(dataDir);
      })());
    return {
      url,
      port,
      get pid() {
        return postmaster.pid;
      },
      clusterDir: placement.clusterDir,
      status: () => ({ ...status }),
      stop,
    };
  } catch (error) {
    await releaseDataDir(dataDir);
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(`embedded PostgreSQL: ${(error as Error).message}`);
  }
}

/** Starts the postmaster, on another free port when the one chosen was taken meanwhile. */
async function startOnFreePort(
  placement: Placement,
  log: EmbeddedPostgresLog,
): Promise<Postmaster & { port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      const postmaster = await withTimeout(
        startPostmaster({ ...placement, port, log }),
        START_TIMEOUT_MS,
        'embedded PostgreSQL start',
      );
      return { ...postmaster, port };
    } catch (error) {
      const reason = (error as Error).message;
      const portTaken = error instanceof PostmasterExitedError && /already in use/i.test(reason);
      if (portTaken && attempt < START_ATTEMPTS) continue;
      await stopLeftover(placement.clusterDir);
      throw new EmbeddedPostgresError(
        `embedded PostgreSQL in ${placement.clusterDir} did not start: ${reason}`,
      );
    }
  }
}

/** Starts a postmaster that died on its port again (see RESTART_ATTEMPTS). */
async function restartOnPort(
  placement: Placement,
  port: number,
  log: EmbeddedPostgresLog,
  attempts: number,
): Promise<Postmaster> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // Its postmaster.pid stays: from it the new postmaster finds the shared memory of the
      // old one's backends, and waits (refuses to start) until they are gone.
      return await withTimeout(
        startPostmaster({ ...placement, port, log }),
        START_TIMEOUT_MS,
        'embedded PostgreSQL restart',
      );
    } catch (error) {
      if (attempt >= attempts) {
        await stopLeftover(placement.clusterDir);
        throw error;
      }
      log.debug(`embedded PostgreSQL restart attempt ${attempt}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
    }
  }
}

/** Fast shutdown (SIGINT: roll back open transactions, checkpoint), then SIGQUIT if it hangs. */
async function stopPostmaster(pid: number): Promise<void> {
  if (!(await isRunning(pid))) return;
  process.kill(pid, 'SIGINT');
  if (await waitForExit(pid, 30_000)) return;
  process.kill(pid, 'SIGQUIT');
  await waitForExit(pid, 10_000);
}

/** A start that timed out may have left its postmaster running: stop it. */
async function stopLeftover(clusterDir: string): Promise<void> {
  const text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n', 1)[0]);
  if (Number.isInteger(pid) && pid > 0 && (await commandLine(pid)).includes(clusterDir)) {
    await stopPostmaster(pid);
  }
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
async function ensureCluster(placement: Placement, log: EmbeddedPostgresLog): Promise<string> {
  const { clusterDir, credentialsFile, runAs } = placement;
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
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (runAs !== undefined) await chown(clusterDir, runAs.uid, runAs.gid);
  const password = randomBytes(24).toString('base64url');
  await writeFile(credentialsFile, JSON.stringify({ user: 'postgres', password }) + '\n', {
    mode: 0o600,
  });
  await initdb({ ...placement, password, log });
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
