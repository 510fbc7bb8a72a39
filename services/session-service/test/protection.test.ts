// Protection: a request budget per API key, load shedding, security headers, CORS.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtectionOptions } from '../src/plugins/protection.js';
import { generateKey } from '../src/auth/keys.js';
import { migratedApp, newKey } from './apps.js';
import type { MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function appWith(protection: Partial<ProtectionOptions>) {
  return migratedApp(cleanups, { protection });
}

const key = (db: MigratedDatabase) => newKey(db, 'uni-a', 'instructor');

describe('rate limits', () => {
  it('gives each key its own budget per minute, then answers 429 with Retry-After', async () => {
    const { app, db } = await appWith({ rateLimitPerMinute: 3 });
    const [a, b] = [await key(db), await key(db)];
    const get = (k: string) =>
      app.inject({ method: 'GET', url: '/v1/sessions', headers: { authorization: `Bearer ${k}` } });
    for (let i = 0; i < 3; i++) expect((await get(a)).statusCode).toBe(200);
    const limited = await get(a);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await get(b)).statusCode).toBe(200); // another key, another budget
    // Health checks are never budgeted.
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    }
  });
});

describe('requests with no key or a bad one', () => {
  /** GET /v1/sessions from `ip`, with key `k` and an X-Forwarded-For of `forwarded` if given. */
  const get = (
    app: Awaited<ReturnType<typeof appWith>>['app'],
    ip: string,
    k?: string,
    forwarded?: string,
  ) =>
    app.inject({
      method: 'GET',
      url: '/v1/sessions',
      remoteAddress: ip,
      headers: {
        ...(k === undefined ? {} : { authorization: `Bearer ${k}` }),
        ...(forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }),
      },
    });

  it("draw on their address's budget, then 429 before any key is looked up; random keys do not escape it", async () => {
    const { app, db } = await appWith({ failedAuthPerMinute: 3 });
    const good = await key(db);
    // A key verified from this address before the guessing starts keeps working.
    expect((await get(app, '203.0.113.7', good)).statusCode).toBe(200);
    expect((await get(app, '203.0.113.7')).statusCode).toBe(401);
    expect((await get(app, '203.0.113.7', generateKey())).statusCode).toBe(401);
    expect((await get(app, '203.0.113.7', generateKey())).statusCode).toBe(401);
    const limited = await get(app, '203.0.113.7', generateKey());
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await get(app, '203.0.113.7')).statusCode).toBe(429);
    expect((await get(app, '203.0.113.7', good)).statusCode).toBe(200);
    // Another address has its own budget.
    expect((await get(app, '198.51.100.1', generateKey())).statusCode).toBe(401);
  });

  it('are counted by the forwarded address only behind a trusted proxy', async () => {
    const trusting = await migratedApp(cleanups, {
      protection: { failedAuthPerMinute: 1 },
      trustedProxies: ['127.0.0.1'],
    });
    const viaProxy = (forwarded: string) => get(trusting.app, '127.0.0.1', undefined, forwarded);
    expect((await viaProxy('192.0.2.1')).statusCode).toBe(401);
    expect((await viaProxy('192.0.2.2')).statusCode).toBe(401);
    expect((await viaProxy('192.0.2.1')).statusCode).toBe(429);

    // Without a trusted proxy, a client cannot pick its address with the header.
    const { app } = await appWith({ failedAuthPerMinute: 1 });
    const spoofed = (forwarded: string) => get(app, '192.0.2.9', undefined, forwarded);
    expect((await spoofed('10.1.1.1')).statusCode).toBe(401);
    expect((await spoofed('10.1.1.2')).statusCode).toBe(429);
  });
});

describe('load shedding', () => {
  it('answers 503 OVERLOADED with Retry-After while the event loop lags', async () => {
    const { app, db } = await appWith({ maxEventLoopDelayMs: 20, sampleIntervalMs: 5 });
    const k = await key(db);
    await app.ready();
    // Block the event loop well past the limit, then let the sampler see it.
    const until = performance.now() + 200;
    while (performance.now() < until) {
      /* busy: the lag the service must notice */
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
    const response = await app.inject({
      method: 'GET',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${k}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('10');
    expect(response.json()).toMatchObject({ code: 'OVERLOADED' });
  });
});

describe('headers', () => {
  it('sends security headers, and CORS only for the listed origins', async () => {
    const { app } = await appWith({ corsOrigins: ['https://lab.example.org'] });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['x-frame-options']).toBe('SAMEORIGIN');
    const allowed = await app.inject({
      method: 'OPTIONS',
      url: '/v1/sessions',
      headers: { origin: 'https://lab.example.org', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://lab.example.org');
    const other = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('does not take the start-up for load: the loop is busy before ready, requests right after are served', async () => {
    const { app, db } = await appWith({ maxEventLoopDelayMs: 20, sampleIntervalMs: 50 });
    const k = await key(db);
    // The sampler runs from the app's building; start-up work keeps the loop busy a whole
    // interval before ready, as compiling every schema does in the service.
    const until = performance.now() + 120;
    while (performance.now() < until) {
      /* busy: start-up */
    }
    await app.ready();
    const response = await app.inject({
      method: 'GET',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${k}` },
    });
    expect(response.statusCode).toBe(200);
  });
});
