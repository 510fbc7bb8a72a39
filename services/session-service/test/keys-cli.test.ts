// `npm run keys`: create, list and revoke API keys from the command line, on the service's
// database; the keys it prints work against the API at once.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';
import { killLeftovers, runTs, type Child } from './processes.js';

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killLeftovers(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function keys(db: MigratedDatabase, ...args: string[]) {
  const child = runTs('src/cli/keys.ts', args, { ...process.env, DATABASE_URL: db.url });
  children.push(child);
  const code = await child.exited();
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('npm run keys', () => {
  it('creates a key that works at once, lists it by prefix, and revokes it', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const created = await keys(db, 'create', '--tenant', 'uni-a', '--role', 'viewer');
    expect(created.code).toBe(0);
    const [summary, key] = created.stdout.trim().split('\n');
    expect(summary).toMatch(
      /^created viewer key [0-9a-f]{16} for tenant uni-a; it is shown only now:$/,
    );
    expect(key).toMatch(/^tcplab_[A-Za-z0-9_-]{43}$/);
    const prefix = summary?.split(' ')[3] ?? '';

    const app = await buildApp({ database: db.database, migrations: db.migrations });
    cleanups.push(() => app.close());
    const headers = { authorization: `Bearer ${key ?? ''}` };
    expect((await app.inject({ method: 'GET', url: '/v1/sessions', headers })).statusCode).toBe(
      200,
    );
    expect(
      (await app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: {} })).statusCode,
    ).toBe(403);

    const listed = await keys(db, 'list', '--tenant', 'uni-a');
    expect(listed.stdout.trim()).toBe(`${prefix}  uni-a  viewer  viewer key`);
    expect((await keys(db, 'revoke', prefix)).stdout.trim()).toBe(`revoked ${prefix}`);
    expect((await app.inject({ method: 'GET', url: '/v1/sessions', headers })).statusCode).toBe(
      401,
    );
  }, 60_000);

  it('refuses a bad role or tenant with a message and the usage', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const badRole = await keys(db, 'create', '--tenant', 'uni-a', '--role', 'god');
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain(
      'tcplab keys: --role must be one of admin, instructor, viewer',
    );
    expect(badRole.stderr).toContain('usage: npm run keys');
    const noTenant = await keys(db, 'create', '--role', 'admin');
    expect(noTenant.stderr).toContain('--tenant is required');
    expect(await db.database.prisma.apiKey.count()).toBe(0);
  }, 60_000);
});
