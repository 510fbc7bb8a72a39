/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's schema engine.
 *
 * The ledger is Prisma's own `_prisma_migrations` table with the checksum Prisma computes (the
 * SHA-256 of migration.sql, hex), so `prisma migrate status` or `deploy` run by an operator on
 * the same database agree with the service. Unlike deploy, each migration runs in one
 * transaction together with its ledger row: a migration that fails leaves nothing behind.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool, PoolClient } from 'pg';

export interface Migration {
  /** The folder name, e.g. 20261121230000_init. */
  name: string;
  sql: string;
  /** SHA-256 of migration.sql's bytes, lower-case hex: what Prisma records. */
  checksum: string;
}

export interface AppliedMigration {
  name: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
  /** Applied migrations whose file changed since (Prisma warns about these too). */
  modified: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly migration: string,
    message: string,
  ) {
    super(message);
  }
}

/** prisma/migrations at the root of the repository (the same path from src/ and dist/). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../../prisma/migrations', import.meta.url),
);

/** The lock `prisma migrate` takes, so the service and an operator's CLI never interleave. */
const PRISMA_MIGRATE_ADVISORY_LOCK = 72707369;

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Reads `<dir>/<name>/migration.sql` for every folder, in name (timestamp) order. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

/**
 * Applies every migration not yet in the ledger, in order. Throws a MigrationError naming the
 * migration that failed (or that an earlier `prisma migrate deploy` left failed).
 */
export async function applyMigrations(
  pool: Pool,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]);
    try {
      await client.query(LEDGER_DDL);
      return await applyPending(client, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function applyPending(
  client: PoolClient,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const ledger = await client.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  const failed = ledger.rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed !== undefined) {
    throw new MigrationError(
      failed.migration_name,
      `migration ${failed.migration_name} is recorded as failed in _prisma_migrations; ` +
        'fix the database, then mark it with `prisma migrate resolve --applied` or `--rolled-back`',
    );
  }
  const applied = new Map(
    ledger.rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]),
  );

  const report: MigrationReport = { applied: [], alreadyApplied: 0, modified: [] };
  for (const migration of migrations) {
    const done = applied.get(migration.name);
    if (done !== undefined) {
      report.alreadyApplied += 1;
      if (done.checksum !== migration.checksum) report.modified.push(migration.name);
      continue;
    }
    await applyOne(client, migration);
    report.applied.push(migration.name);
  }
  return report;
}

async function applyOne(client: PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    // Without parameters pg uses the simple query protocol, which runs the whole multi-statement
    // script, as Prisma does.
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1
       WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(migration.name, `migration ${migration.name} failed: ${reason}`);
  }
}

/** The names of the migrations recorded as applied (for /readyz); [] before the first one. */
export async function appliedMigrationNames(pool: Pool): Promise<string[]> {
  try {
    const result = await pool.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    return result.rows.map((row) => row.migration_name);
  } catch (error) {
    if (isUndefinedTable(error)) return [];
    throw error;
  }
}

function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '42P01';
}
