// API keys and tenancy: every /v1 request needs a key; a key's tenant sees only its own
// sessions (another tenant's answers 404); a viewer reads and cannot change anything.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKey, keyPrefix } from '../src/auth/keys.js';
import { migratedApp, newKey } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const appWithKeys = () => migratedApp(cleanups);

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys', () => {
  it('answers 401 with WWW-Authenticate without a key or with an unknown one', async () => {
    const { app } = await appWithKeys();
    const none = await app.inject({ method: 'GET', url: '/v1/sessions' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tcplab"');
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const unknown = await app.inject({
      method: 'GET',
      url: '/v1/sessions',
      headers: bearer(generateKey()),
    });
    expect(unknown.json()).toMatchObject({
      status: 401,
      detail: 'the API key is unknown or revoked',
    });
    // Health and the API description stay public.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses a revoked key', async () => {
    const { app, db } = await appWithKeys();
    const key = await newKey(db, 'uni-a', 'instructor');
    expect(
      (await app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(key) })).statusCode,
    ).toBe(200);
    await db.database.prisma.apiKey.update({
      where: { prefix: keyPrefix(key) },
      data: { revokedAt: new Date() },
    });
    expect(
      (await app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(key) })).statusCode,
    ).toBe(401);
  });

  it('stores only a hash of the key', async () => {
    const { db } = await appWithKeys();
    const key = await newKey(db, 'uni-a', 'admin');
    const row = await db.database.prisma.apiKey.findUniqueOrThrow({
      where: { prefix: keyPrefix(key) },
    });
    expect(JSON.stringify(row)).not.toContain(key.slice('tcplab_'.length, 30));
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('tenants and roles', () => {
  it("a tenant sees only its own sessions; another tenant's id answers 404", async () => {
    const { app, db } = await appWithKeys();
    const a = await newKey(db, 'uni-a', 'instructor');
    const b = await newKey(db, 'uni-b', 'instructor');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: bearer(a),
      payload: { name: 'mine', seed: 1 },
    });
    const sid = created.json<{ id: string }>().id;

    const listA = await app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(a) });
    const listB = await app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(b) });
    expect(listA.json<{ items: unknown[] }>().items).toHaveLength(1);
    expect(listB.json<{ items: unknown[] }>().items).toHaveLength(0);
    for (const [method, url] of [
      ['GET', `/v1/sessions/${sid}`],
      ['DELETE', `/v1/sessions/${sid}`],
      ['GET', `/v1/sessions/${sid}/segments`],
    ] as const) {
      const response = await app.inject({ method, url, headers: bearer(b) });
      expect(response.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    expect(
      (await app.inject({ method: 'GET', url: `/v1/sessions/${sid}`, headers: bearer(a) }))
        .statusCode,
    ).toBe(200);
  });

  it('a viewer reads but cannot create or drive anything (403)', async () => {
    const { app, db } = await appWithKeys();
    const instructor = await newKey(db, 'uni-a', 'instructor');
    const viewer = await newKey(db, 'uni-a', 'viewer');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: bearer(instructor),
      payload: {},
    });
    const sid = created.json<{ id: string }>().id;
    expect(
      (await app.inject({ method: 'GET', url: `/v1/sessions/${sid}`, headers: bearer(viewer) }))
        .statusCode,
    ).toBe(200);
    for (const [method, url, payload] of [
      ['POST', '/v1/sessions', {}],
      ['POST', `/v1/sessions/${sid}/clock`, { action: 'step' }],
      ['PATCH', `/v1/sessions/${sid}`, { name: 'x' }],
      ['DELETE', `/v1/sessions/${sid}`, undefined],
    ] as const) {
      const response = await app.inject({
        method,
        url,
        headers: bearer(viewer),
        ...(payload === undefined ? {} : { payload }),
      });
      expect(response.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    }
    const still = await app.inject({
      method: 'GET',
      url: `/v1/sessions/${sid}`,
      headers: bearer(viewer),
    });
    expect(still.json()).toMatchObject({ name: 'session', lastEventId: 0 });
  });
});
