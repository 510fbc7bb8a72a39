/**
 * Where the embedded PostgreSQL's programs and cluster live, and as whom they run.
 *
 * PostgreSQL refuses to run as root. Run by another user, tcplab runs it as that user, from the
 * installed package, with the cluster in `<data dir>/postgres`. Run as root, it runs it as the
 * `postgres` system user (made if missing), which must reach both the programs and the cluster:
 * - programs: used in place when `postgres` can read and run them, otherwise copied once into
 *   `<system dir>/postgres-<version>` (a private project folder such as /root/tcplab is out of
 *   its reach);
 * - cluster: `<data dir>/postgres` when `postgres` can reach the data dir, otherwise
 *   `<system dir>/clusters/<hash of the data dir's path>`, the same folder at every start, so
 *   that the data is kept across restarts, with its password file beside it. The log says which.
 * tcplab never widens the permissions of a folder above the data dir to make room.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresPrograms, RunAs } from './postgres-programs.js';

const execFileAsync = promisify(execFile);

/** Root's default home for what the `postgres` user must reach. */
export const DEFAULT_SYSTEM_DIR = '/var/lib/tcplab';
const POSTGRES_USER = 'postgres';

export interface Placement {
  programs: PostgresPrograms;
  clusterDir: string;
  /**
   * The superuser's generated password, kept with the cluster: `<data dir>/postgres.json`, or
   * `<cluster>.json` beside a cluster in the system dir (which outlives a deleted data dir: a
   * project cloned again to the same path finds its database and can open it).
   */
  credentialsFile: string;
  /** Undefined: the programs run as tcplab's own user. */
  runAs: RunAs | undefined;
}

export interface PlacementLog {
  info(message: string): void;
}

export class PlacementError extends Error {
  override readonly name = 'PlacementError';
}

export async function placePostgres(options: {
  dataDir: string;
  programs: PostgresPrograms;
  /** Where root keeps what `postgres` must reach; DEFAULT_SYSTEM_DIR unless set. */
  systemDir?: string;
  log: PlacementLog;
}): Promise<Placement> {
  const { dataDir, log } = options;
  const ownCluster = join(dataDir, 'postgres');
  const credentialsFile = join(dataDir, 'postgres.json');
  if (process.getuid?.() !== 0) {
    return {
      programs: options.programs,
      clusterDir: ownCluster,
      credentialsFile,
      runAs: undefined,
    };
  }

  const systemDir = options.systemDir ?? DEFAULT_SYSTEM_DIR;
  const runAs = await ensureSystemUser(POSTGRES_USER);
  // The postgres user needs search permission on the data dir to reach the cluster in it.
  await chmod(dataDir, (await stat(dataDir)).mode | 0o011);

  let programs = options.programs;
  if (!canReach(runAs, join(programs.root, 'bin', 'postgres'), 'rx')) {
    programs = await copyPrograms(programs, systemDir);
    if (!canReach(runAs, join(programs.root, 'bin', 'postgres'), 'rx')) {
      throw new PlacementError(
        `PostgreSQL runs as the ${runAs.user} user, which can reach neither ` +
          `${options.programs.root} nor its copy in ${programs.root}; ` +
          'set DATABASE_URL, or run tcplab as another user',
      );
    }
    log.info(
      `running as root: PostgreSQL runs as the ${runAs.user} user, which cannot reach ` +
        `${options.programs.root}; it runs from a copy in ${programs.root}`,
    );
  }

  if (canReach(runAs, dataDir, 'x')) {
    return { programs, clusterDir: ownCluster, credentialsFile, runAs };
  }
  const clusterDir = join(systemDir, 'clusters', pathKey(dataDir));
  await mkdir(join(systemDir, 'clusters'), { recursive: true, mode: 0o711 });
  if (!canReach(runAs, join(systemDir, 'clusters'), 'x')) {
    throw new PlacementError(
      `PostgreSQL runs as the ${runAs.user} user, which can reach neither ${resolve(dataDir)} ` +
        `nor ${join(systemDir, 'clusters')}; set TCPLAB_DATA_DIR to a folder it can reach, ` +
        'or set DATABASE_URL',
    );
  }
  log.info(
    `running as root: PostgreSQL runs as the ${runAs.user} user, which cannot reach ` +
      `${resolve(dataDir)}; the cluster for that data dir is in ${clusterDir}`,
  );
  return { programs, clusterDir, credentialsFile: `${clusterDir}.json`, runAs };
}

/** The same short name for the same data dir at every start. */
function pathKey(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
}

/**
 * True when `user` may use `path` as `access` says (r: read, x: search or execute), with every
 * folder above it searchable: asked of the kernel as that user, so ACLs and groups count.
 */
function canReach(user: RunAs, path: string, access: 'x' | 'rx'): boolean {
  const tests = access === 'rx' ? 'test -r "$1" && test -x "$1"' : 'test -x "$1"';
  const result = spawnSync('/bin/sh', ['-c', tests, 'sh', path], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
  });
  return result.status === 0;
}

async function ensureSystemUser(name: string): Promise<RunAs> {
  const found = await lookUpUser(name);
  if (found !== undefined) return found;
  try {
    // A system account with no home and no login, as Debian's postgresql package makes it.
    await execFileAsync('groupadd', ['--system', name]).catch((error: { code?: number }) => {
      if (error.code !== 9) throw error; // 9: the group exists already
    });
    await execFileAsync('useradd', [
      '--system',
      '--gid',
      name,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
  } catch (error) {
    throw new PlacementError(
      `PostgreSQL cannot run as root, and the ${name} system user to run it as could not be ` +
        `made (${(error as Error).message.trim()}); make that user, or run tcplab as another user`,
    );
  }
  const made = await lookUpUser(name);
  if (made === undefined) throw new PlacementError(`the ${name} user was made but is not found`);
  return made;
}

async function lookUpUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]),
      execFileAsync('id', ['-g', name]),
    ]);
    return { user: name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Copies the distribution into `<systemDir>/postgres-<version>` once (root-owned, readable by
 * all); a copy made by another start in the meantime wins, since both are the same files.
 */
async function copyPrograms(
  programs: PostgresPrograms,
  systemDir: string,
): Promise<PostgresPrograms> {
  const target = join(systemDir, `postgres-${programs.version}`);
  const copied: PostgresPrograms = { root: target, version: programs.version };
  if (await exists(join(target, 'bin', 'postgres'))) return copied;
  try {
    await mkdir(systemDir, { recursive: true, mode: 0o755 });
    await chmod(systemDir, (await stat(systemDir)).mode | 0o011);
    const staging = await mkdtemp(join(systemDir, '.copy-'));
    await cp(programs.root, join(staging, 'dist'), { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(join(staging, 'dist'), target).catch(async (error: NodeJS.ErrnoException) => {
      if (!(await exists(join(target, 'bin', 'postgres')))) throw error;
    });
    await rm(staging, { recursive: true, force: true });
  } catch (error) {
    throw new PlacementError(
      `PostgreSQL runs as the postgres user, which cannot reach ${programs.root}, and its ` +
        `programs could not be copied to ${target} (${(error as Error).message}); ` +
        'set DATABASE_URL, or install tcplab where that user can read it',
    );
  }
  return copied;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
