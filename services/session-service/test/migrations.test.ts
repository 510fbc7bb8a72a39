import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  readMigrations,
} from '../src/store/migrations.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

const INIT = '20261121230000_init';
const ENDPOINT_IDS = '20261122020000_engine_endpoint_ids';
const TRACE_ONCE = '20261122050000_trace_once_tenant_limits';
/** Every migration in prisma/migrations, in order. */
const VIEWER_TOKENS = '20261122070000_viewer_tokens_socket_io';
const SEGMENT_LABELS = '20261201190000_segment_labels';
const SESSION_LEASES = '20261207200000_session_leases';
const SEGMENT_ECN = '20261210120000_segment_ecn';
const ALL = [
  INIT,
  ENDPOINT_IDS,
  TRACE_ONCE,
  VIEWER_TOKENS,
  SEGMENT_LABELS,
  SESSION_LEASES,
  SEGMENT_ECN,
];
const MODEL_TABLES = [
  'api_keys',
  'cluster_instances',
  'cluster_keys',
  'commands',
  'endpoints',
  'segments',
  'session_leases',
  'sessions',
  'snapshots',
  'socket_io_attachments',
  'tenants',
  'trace_events',
  'viewer_tokens',
];

let target: TestDatabase;
let pool: pg.Pool;

beforeEach(async () => {
  target = await createTestDatabase();
  pool = new pg.Pool({ connectionString: target.url });
  // The drop after each test ends every connection to the database; a pool client still
  // closing then hears "terminating connection", which is expected here, not a failure.
  pool.on('error', () => undefined);
});

afterEach(async () => {
  await pool.end();
  await target.drop();
});

async function tables(): Promise<string[]> {
  const result = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

async function ledger() {
  const result = await pool.query<{
    id: string;
    checksum: string;
    migration_name: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
    logs: string | null;
    started_at: Date;
    applied_steps_count: number;
  }>('SELECT * FROM "_prisma_migrations" ORDER BY started_at');
  return result.rows;
}

describe('applyMigrations on an empty database', () => {
  it('creates every model table and records the migration', async () => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const report = await applyMigrations(pool, migrations);

    expect(report).toEqual({ applied: ALL, alreadyApplied: 0, modified: [] });
    expect(await tables()).toEqual(['_prisma_migrations', ...MODEL_TABLES]);
  });

  it('is a no-op the second time', async () => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    await applyMigrations(pool, migrations);
    const before = await ledger();

    const report = await applyMigrations(pool, migrations);

    expect(report).toEqual({ applied: [], alreadyApplied: ALL.length, modified: [] });
    expect(await ledger()).toEqual(before);
  });

  it('writes the ledger row prisma migrate deploy writes, with the same checksum', async () => {
    await applyMigrations(pool, await readMigrations(DEFAULT_MIGRATIONS_DIR));
    const bytes = await readFile(join(DEFAULT_MIGRATIONS_DIR, INIT, 'migration.sql'));

    const rows = await ledger();
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
    const row = rows[0];
    expect(row).toMatchObject({
      migration_name: INIT,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      rolled_back_at: null,
      logs: null,
      applied_steps_count: 1,
    });
    expect(row?.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(row?.finished_at?.getTime()).toBeGreaterThanOrEqual(row?.started_at.getTime() ?? 0);
  });

  it("gives the ledger table Prisma's columns and types", async () => {
    await applyMigrations(pool, await readMigrations(DEFAULT_MIGRATIONS_DIR));
    const columns = await pool.query<{
      column_name: string;
      data_type: string;
      is_nullable: string;
      character_maximum_length: number | null;
    }>(
      `SELECT column_name, data_type, is_nullable, character_maximum_length
       FROM information_schema.columns WHERE table_name = '_prisma_migrations'
       ORDER BY ordinal_position`,
    );
    expect(columns.rows).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        is_nullable: 'NO',
        character_maximum_length: 36,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        is_nullable: 'NO',
        character_maximum_length: 64,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        is_nullable: 'YES',
        character_maximum_length: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        is_nullable: 'NO',
        character_maximum_length: 255,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        is_nullable: 'YES',
        character_maximum_length: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        is_nullable: 'YES',
        character_maximum_length: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        is_nullable: 'NO',
        character_maximum_length: null,
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        is_nullable: 'NO',
        character_maximum_length: null,
      },
    ]);
  });
});

describe('a migration that fails', () => {
  let dir: string;
  const BROKEN = '20991231000000_broken';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcplab-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(join(dir, BROKEN));
    await writeFile(
      join(dir, BROKEN, 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT * FROM "no_such_table";\n',
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves nothing of itself behind and names itself in the error', async () => {
    const error: unknown = await applyMigrations(pool, await readMigrations(dir)).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(BROKEN);
    expect((error as MigrationError).message).toBe(
      `migration ${BROKEN} failed: relation "no_such_table" does not exist`,
    );
    expect(await tables()).not.toContain('half_done');
    expect((await ledger()).map((row) => row.migration_name)).toEqual(ALL);
  });

  it('applies once fixed, after the migrations before it', async () => {
    await applyMigrations(pool, await readMigrations(dir)).catch(() => undefined);
    await writeFile(
      join(dir, BROKEN, 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INTEGER);\n',
    );

    const report = await applyMigrations(pool, await readMigrations(dir));

    expect(report).toEqual({ applied: [BROKEN], alreadyApplied: ALL.length, modified: [] });
    expect(await tables()).toContain('half_done');
  });
});

describe('a ledger written by prisma migrate', () => {
  it('refuses to continue past a migration Prisma recorded as failed', async () => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    await applyMigrations(pool, migrations);
    await pool.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, applied_steps_count)
       VALUES ('6f1c1c1e-0000-4000-8000-000000000000', $1, '20991231000000_failed', 'boom', 0)`,
      ['0'.repeat(64)],
    );

    await expect(applyMigrations(pool, migrations)).rejects.toThrow(
      'migration 20991231000000_failed is recorded as failed in _prisma_migrations',
    );
  });

  it('reports an applied migration whose file changed since', async () => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    await applyMigrations(pool, migrations);
    await pool.query(`UPDATE "_prisma_migrations" SET checksum = $1`, ['f'.repeat(64)]);

    expect(await applyMigrations(pool, migrations)).toEqual({
      applied: [],
      alreadyApplied: ALL.length,
      modified: ALL,
    });
  });
});
