/** Apps for route tests, each on a fresh migrated database; `cleanups` closes both. */
import { buildApp, type App, type AppOptions } from '../src/app.js';
import { ensureKey, generateKey, type Role } from '../src/auth/keys.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

export async function migratedApp(
  cleanups: (() => Promise<void>)[],
  options: Omit<AppOptions, 'database' | 'migrations'> = {},
): Promise<{ app: App; db: MigratedDatabase }> {
  const db = await createMigratedDatabase();
  cleanups.push(() => db.dispose());
  const app = await buildApp({ database: db.database, migrations: db.migrations, ...options });
  cleanups.push(() => app.close());
  return { app, db };
}

/** A new API key of `role` for `tenantId`, stored in `db`. */
export async function newKey(db: MigratedDatabase, tenantId: string, role: Role): Promise<string> {
  const key = generateKey();
  await ensureKey(db.database.prisma, { key, tenantId, role, name: `${tenantId} ${role}` });
  return key;
}

/** A JSON request through fastify inject; answers the status, content type and parsed body. */
export async function call(
  app: App,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return {
    status: response.statusCode,
    type: response.headers['content-type'],
    body: response.body === '' ? undefined : response.json<Record<string, unknown>>(),
  };
}

/**
 * A server (e1, 10.0.0.2:80) listening and a client (e2, 10.0.0.1:49152) connecting to it, in
 * the session at `base`; the clock has not moved.
 */
export async function clientAndServer(
  app: App,
  base: string,
  headers: Record<string, string> = {},
): Promise<void> {
  await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 }, headers);
  await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 }, headers);
  await call(app, 'POST', `${base}/endpoints/e1/listen`, undefined, headers);
  await call(
    app,
    'POST',
    `${base}/endpoints/e2/connect`,
    { remote: { address: '10.0.0.2', port: 80 } },
    headers,
  );
}
