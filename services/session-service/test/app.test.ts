import { createClient, isApiError } from '@tcplab/client';
import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { Access } from '../src/auth/access.js';
import { openDatabase } from '../src/store/database.js';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from '../src/store/migrations.js';
import { migratedApp } from './apps.js';
import { createTestDatabase } from './databases.js';

/** Every migration on disk, in order: what a ready service has applied. */
const ALL = (await readMigrations(DEFAULT_MIGRATIONS_DIR)).map((m) => m.name);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated database and an app on it; auth disabled (API keys are tested in auth.test.ts). */
const readyApp = () => migratedApp(cleanups, { auth: { mode: 'disabled' } });

describe('GET /healthz and /readyz', () => {
  it('answers 200 ok while the process is alive', async () => {
    const { app } = await readyApp();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when the database answers and every migration is applied', async () => {
    const { app } = await readyApp();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: {
        database: 'up',
        migrations: { applied: ALL.length, pending: [] },
        // Not listening (inject): no address to advertise yet, no session held.
        cluster: { instance: expect.any(String) as string, url: '', state: 'serving', sessions: 0 },
      },
    });
  });

  it('answers 503 NOT_READY while the instance drains (stopping: the balancer sends elsewhere)', async () => {
    const { app } = await readyApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    app.runtime.drain();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      code: 'NOT_READY',
      detail: 'this instance is stopping',
      checks: {
        database: 'up',
        cluster: {
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as string,
          state: 'draining',
        },
      },
    });
    // It still serves meanwhile.
    expect(
      (await app.inject({ method: 'POST', url: '/v1/sessions', payload: {} })).statusCode,
    ).toBe(201);
  });

  it('answers 503 NOT_READY naming the migrations not yet applied', async () => {
    const target = await createTestDatabase();
    cleanups.push(() => target.drop());
    const database = await openDatabase(target.url);
    cleanups.push(() => database.close());
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const app = await buildApp({ database, migrations });
    cleanups.push(() => app.close());

    const response = await app.inject({ method: 'GET', url: '/readyz' });

    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toEqual({
      type: 'urn:tcplab:problem:NOT_READY',
      title: 'Service not ready',
      status: 503,
      code: 'NOT_READY',
      detail: `migrations not applied: ${ALL.join(', ')}`,
      instance: '/readyz',
      checks: {
        database: 'up',
        migrations: { applied: 0, pending: ALL },
        cluster: { instance: expect.any(String) as string, url: '', state: 'serving', sessions: 0 },
      },
    });
  });

  it('answers 503 NOT_READY once the database goes away', async () => {
    const { app, db } = await readyApp();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    await db.drop();
    const response = await app.inject({ method: 'GET', url: '/readyz' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      code: 'NOT_READY',
      detail: 'the database does not answer',
      checks: { database: 'down', migrations: { applied: 0, pending: ALL } },
    });
  });
});

describe('OpenAPI and Swagger UI', () => {
  it('serves an OpenAPI 3.1 document built from the route schemas', async () => {
    const { app } = await readyApp();
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/readyz',
      '/v1/keys',
      '/v1/keys/{kid}',
      '/v1/scenarios',
      '/v1/scenarios/{name}',
      '/v1/sessions',
      '/v1/sessions/{sid}',
      '/v1/sessions/{sid}/clock',
      '/v1/sessions/{sid}/endpoints',
      '/v1/sessions/{sid}/endpoints/{eid}',
      '/v1/sessions/{sid}/endpoints/{eid}/abort',
      '/v1/sessions/{sid}/endpoints/{eid}/close',
      '/v1/sessions/{sid}/endpoints/{eid}/connect',
      '/v1/sessions/{sid}/endpoints/{eid}/listen',
      '/v1/sessions/{sid}/endpoints/{eid}/receive',
      '/v1/sessions/{sid}/endpoints/{eid}/send',
      '/v1/sessions/{sid}/endpoints/{eid}/shutdown',
      '/v1/sessions/{sid}/events',
      '/v1/sessions/{sid}/faults',
      '/v1/sessions/{sid}/faults/{fid}',
      '/v1/sessions/{sid}/inject',
      '/v1/sessions/{sid}/segments',
      '/v1/sessions/{sid}/trace.pcapng',
      '/v1/sessions/{sid}/viewer-tokens',
      '/v1/sessions/{sid}/viewer-tokens/{vid}',
      '/v1/tenants',
      '/v1/tenants/{tid}',
    ]);
    expect(Object.keys(document.paths['/readyz']?.get?.responses ?? {})).toEqual(['200', '503']);
  });

  it('serves Swagger UI at /docs', async () => {
    const { app } = await readyApp();
    const response = await app.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger-ui');
  });
});

describe('errors are application/problem+json with a stable code', () => {
  /** A route with a body schema, as every REST route will have. */
  async function appWithEchoRoute() {
    const { app } = await readyApp();
    app.post(
      '/echo',
      {
        config: { access: Access.public },
        schema: { body: Type.Object({ port: Type.Integer({ minimum: 0, maximum: 65535 }) }) },
      },
      (request) => request.body,
    );
    app.get('/bug', { config: { access: Access.public } }, () => {
      throw new Error('secret internals');
    });
    return app;
  }

  it('an unknown route is 404 NOT_FOUND', async () => {
    const { app } = await readyApp();
    const response = await app.inject({ method: 'GET', url: '/v1/nothing?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toEqual({
      type: 'urn:tcplab:problem:NOT_FOUND',
      title: 'Not found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'no route for GET /v1/nothing?x=1',
      instance: '/v1/nothing',
    });
  });

  it('a schema violation is 400 VALIDATION_FAILED pointing at the field', async () => {
    const app = await appWithEchoRoute();
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { port: 70000 } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toEqual({
      type: 'urn:tcplab:problem:VALIDATION_FAILED',
      title: 'Request does not match the schema',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'body/port must be <= 65535',
      instance: '/echo',
      errors: [{ path: '/body/port', message: 'must be <= 65535' }],
    });
  });

  it.each([
    ['not JSON', 'application/json', '{"port": ', 400, 'MALFORMED_BODY'],
    ['of another media type', 'application/xml', '<port>80</port>', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'over 1 MiB',
      'application/json',
      `{"pad":"${'x'.repeat(1_100_000)}"}`,
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ])('a body %s is %i %s', async (_what, contentType, payload, status, code) => {
    const app = await appWithEchoRoute();
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toMatchObject({ code, status, instance: '/echo' });
  });

  it('a bug is 500 INTERNAL and does not leak its message', async () => {
    const app = await appWithEchoRoute();
    const response = await app.inject({ method: 'GET', url: '/bug' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(response.body).not.toContain('secret internals');
  });
});

describe('the typed client over a real port', () => {
  it('reads health and readiness, then reports NOT_READY as an ApiError', async () => {
    const { app, db } = await readyApp();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = createClient({ baseUrl: address });

    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.readiness()).toMatchObject({ status: 'ready' });

    await db.drop();
    const error: unknown = await client.readiness().catch((e: unknown) => e);
    expect(isApiError(error) && [error.status, error.code]).toEqual([503, 'NOT_READY']);
  });
});
