/**
 * Provides one PostgreSQL server to every test file: the one at DATABASE_URL when it is set
 * (its role needs CREATEDB), otherwise an embedded cluster in a temporary folder, stopped at
 * the end. Test files make databases of their own on it (test/databases.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL on the test server whose role may create and drop databases. */
    serverUrl: string;
    serverKind: 'embedded' | 'external';
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    project.provide('serverUrl', external);
    project.provide('serverKind', 'external');
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'tcplab-test-'));
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  const postgres = await startEmbeddedPostgres({ dataDir, log: quiet, database: 'postgres' });
  project.provide('serverUrl', postgres.url);
  project.provide('serverKind', 'embedded');
  return async () => {
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
