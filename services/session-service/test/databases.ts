/** A fresh database per test file on the run's PostgreSQL server, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../src/store/database.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  readMigrations,
  type Migration,
} from '../src/store/migrations.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>;
}

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('serverUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tcplab_test_${randomBytes(6).toString('hex')}`;
  await onServer((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const url = new URL(inject('serverUrl'));
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await onServer((c) =>
        c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

export interface MigratedDatabase extends TestDatabase {
  database: Database;
  migrations: Migration[];
  /** Closes the pool, then drops the database. */
  dispose(): Promise<void>;
}

/** A fresh database with every migration applied, opened like the service opens it. */
export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const target = await createTestDatabase();
  const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
  const database = await openDatabase(target.url);
  await applyMigrations(database.pool, migrations);
  return {
    ...target,
    database,
    migrations,
    dispose: async () => {
      await database.close();
      await target.drop();
    },
  };
}
