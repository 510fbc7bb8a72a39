/** The database a benchmark runs on: DATABASE_URL, else an embedded one in a temporary folder. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../src/store/database.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  readMigrations,
} from '../src/store/migrations.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export async function withDatabase<T>(
  work: (database: Database, url: string) => Promise<T>,
): Promise<T> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let url = process.env.DATABASE_URL;
    if (url === undefined) {
      const dir = await mkdtemp(join(tmpdir(), 'tcplab-bench-'));
      closers.push(() => rm(dir, { recursive: true, force: true }));
      const postgres = await startEmbeddedPostgres({ dataDir: dir, log: quiet });
      closers.push(() => postgres.stop());
      url = postgres.url;
    }
    const database = await openDatabase(url);
    closers.push(() => database.close());
    await applyMigrations(database.pool, await readMigrations(DEFAULT_MIGRATIONS_DIR));
    return await work(database, url);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}
