// Tenants and API keys over REST, for admin keys only: a tenant with its own limits, a key made
// for it that works at once and is never shown again, and a revoked key refused at once.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { call, migratedApp, newKey } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A request with `key` as its bearer. */
function as(
  app: App,
  key: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: Record<string, unknown>,
) {
  return call(app, method, url, body, { authorization: `Bearer ${key}` });
}

describe('tenants', () => {
  it('an admin creates a tenant with its own limits, lists, reads and changes it', async () => {
    const { app, db } = await migratedApp(cleanups);
    const root = await newKey(db, 'operators', 'admin');
    const created = await as(app, root, 'POST', '/v1/tenants', {
      id: 'networks-101',
      name: 'Networks 101',
      limits: { maxSessions: 3 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: 'networks-101',
      name: 'Networks 101',
      limits: { maxSessions: 3 },
      effectiveLimits: { ...DEFAULT_LIMITS, maxSessions: 3 },
      sessions: 0,
      createdAt: expect.any(String) as string,
    });
    const again = await as(app, root, 'POST', '/v1/tenants', { id: 'networks-101' });
    expect(again.body).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });

    const list = await as(app, root, 'GET', '/v1/tenants');
    expect((list.body?.items as { id: string }[]).map((t) => t.id)).toEqual([
      'networks-101',
      'operators',
    ]);
    const patched = await as(app, root, 'PATCH', '/v1/tenants/networks-101', {
      limits: { maxEndpoints: 8 },
    });
    // `limits` replaces the tenant's own limits: maxSessions is the default again.
    expect(patched.body).toMatchObject({
      name: 'Networks 101',
      limits: { maxEndpoints: 8 },
      effectiveLimits: { ...DEFAULT_LIMITS, maxEndpoints: 8 },
    });
    expect((await as(app, root, 'GET', '/v1/tenants/networks-101')).body).toEqual(patched.body);
    expect((await as(app, root, 'GET', '/v1/tenants/nobody')).body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    const bad = await as(app, root, 'PATCH', '/v1/tenants/networks-101', {
      limits: { maxSessions: 0, maxCats: 1 },
    });
    expect(bad.status).toBe(400);
    expect((bad.body?.errors as { path: string }[]).map((e) => e.path)).toEqual(
      expect.arrayContaining(['/body/limits/maxCats']),
    );
  });

  it('tenants and keys are for admin keys only (403 for an instructor and a viewer)', async () => {
    const { app, db } = await migratedApp(cleanups);
    for (const role of ['instructor', 'viewer'] as const) {
      const key = await newKey(db, 'uni-a', role);
      for (const [method, url] of [
        ['GET', '/v1/tenants'],
        ['GET', '/v1/tenants/uni-a'],
        ['GET', '/v1/keys'],
        ['POST', '/v1/keys'],
      ] as const) {
        const response = await as(app, key, method, url, method === 'POST' ? {} : undefined);
        expect(response.body, `${role} ${method} ${url}`).toMatchObject({
          status: 403,
          code: 'FORBIDDEN',
        });
      }
    }
  });
});

describe('API keys', () => {
  it('an admin makes a key that works at once, lists it without its secret, and revokes it', async () => {
    const { app, db } = await migratedApp(cleanups);
    const root = await newKey(db, 'operators', 'admin');
    await as(app, root, 'POST', '/v1/tenants', { id: 'uni-b' });
    const made = await as(app, root, 'POST', '/v1/keys', {
      tenantId: 'uni-b',
      role: 'instructor',
      name: 'lab platform',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      tenantId: 'uni-b',
      role: 'instructor',
      name: 'lab platform',
    });
    const secret = made.body?.secret as string;
    expect(secret).toMatch(/^tcplab_[A-Za-z0-9_-]{43}$/);

    // The new key creates a session in its tenant.
    const session = await as(app, secret, 'POST', '/v1/sessions', { seed: 1 });
    expect(session.status).toBe(201);
    expect((await as(app, root, 'GET', '/v1/tenants/uni-b')).body).toMatchObject({ sessions: 1 });

    const listed = await as(app, root, 'GET', '/v1/keys?tenantId=uni-b');
    expect(listed.body?.items).toEqual([
      {
        id: made.body?.id,
        tenantId: 'uni-b',
        role: 'instructor',
        name: 'lab platform',
        prefix: made.body?.prefix,
        createdAt: made.body?.createdAt,
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const kid = made.body?.id as string;
    expect((await as(app, root, 'DELETE', `/v1/keys/${kid}`)).status).toBe(204);
    expect((await as(app, secret, 'GET', '/v1/sessions')).status).toBe(401);
    expect((await as(app, root, 'DELETE', `/v1/keys/${kid}`)).status).toBe(204);
    const revoked = await as(app, root, 'GET', '/v1/keys?tenantId=uni-b');
    expect(revoked.body?.items).toEqual([
      expect.objectContaining({ id: kid, revokedAt: expect.any(String) as string }),
    ]);
  });

  it('refuses a key for a tenant that does not exist, a bad role, and unknown key ids', async () => {
    const { app, db } = await migratedApp(cleanups);
    const root = await newKey(db, 'operators', 'admin');
    expect(
      (await as(app, root, 'POST', '/v1/keys', { tenantId: 'nobody', role: 'viewer' })).body,
    ).toMatchObject({ status: 404, detail: 'no tenant nobody' });
    const badRole = await as(app, root, 'POST', '/v1/keys', { tenantId: 'operators', role: 'god' });
    expect(badRole.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(
      (await as(app, root, 'DELETE', '/v1/keys/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
    expect((await as(app, root, 'DELETE', '/v1/keys/not-a-uuid')).status).toBe(400);
  });
});
