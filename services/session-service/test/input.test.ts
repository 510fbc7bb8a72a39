// Hostile input at the edge: what cannot be stored or put on the wire is refused with a 400
// that names the field, never a 5xx, never a session left broken; errors answered before any
// route (a URL that does not decode, an id too long, headers too large) are problem+json too.
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { call, clientAndServer, migratedApp } from './apps.js';
import { connect, listening, subscribe } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function localApp(): Promise<App> {
  return (await migratedApp(cleanups, { auth: { mode: 'disabled' } })).app;
}

async function newSession(app: App): Promise<string> {
  const created = await call(app, 'POST', '/v1/sessions', { seed: 7 });
  return `/v1/sessions/${created.body?.['id'] as string}`;
}

const PROBLEM = 'application/problem+json; charset=utf-8';

describe('text that storage cannot hold', () => {
  it.each([
    ['a NUL in a session name', '/v1/sessions', { name: 'a\u0000b' }, '/body/name'],
    ['a lone surrogate in a session name', '/v1/sessions', { name: 'x\ud800' }, '/body/name'],
    ['a NUL in a tenant id', '/v1/tenants', { id: 'a\u0000' }, '/body/id'],
    [
      'a NUL in a key name',
      '/v1/keys',
      { tenantId: 't', role: 'viewer', name: '\u0000' },
      '/body/name',
    ],
    ['a NUL in a field name', '/v1/sessions', { ['na\u0000me']: 'x' }, '/body'],
  ])('%s is 400 naming the field', async (_what, url, body, path) => {
    const app = await localApp();
    const response = await call(app, 'POST', url, body);
    expect(response.status).toBe(400);
    expect(response.type).toBe(PROBLEM);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((response.body?.['errors'] as { path: string }[])[0]?.path).toBe(path);
  });

  it('a NUL in an endpoint name, a viewer token name or send data is 400, and the session goes on', async () => {
    const app = await localApp();
    const base = await newSession(app);
    await clientAndServer(app, base);
    const refused = [
      await call(app, 'POST', `${base}/endpoints`, {
        name: '\u0000',
        address: '10.0.0.3',
        port: 1,
      }),
      await call(app, 'POST', `${base}/viewer-tokens`, { name: 'class\u0000' }),
      await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'he\u0000llo' }),
    ];
    expect(refused.map((r) => [r.status, r.body?.['code']])).toEqual([
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
    ]);
    // Binary data goes as base64, NUL included, and the session works on.
    const sent = await call(app, 'POST', `${base}/endpoints/e2/send`, { base64: 'aGUAbGxv' });
    expect(sent.status).toBe(200);
    const moved = await call(app, 'POST', `${base}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 1000,
    });
    expect(moved.status).toBe(200);
    const read = await call(app, 'POST', `${base}/endpoints/e3/receive`, {});
    expect(read.body).toMatchObject({ bytes: 6, base64: 'aGUAbGxv' });
  });

  it('a NUL in a path parameter is 400, not a database error', async () => {
    const app = await localApp();
    const response = await app.inject({ method: 'GET', url: '/v1/sessions/x%00' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('numbers and types as sent', () => {
  it('?after= beyond 2^53 is 400, not 500', async () => {
    const app = await localApp();
    const base = await newSession(app);
    for (const after of ['18446744073709551616', '9007199254740992']) {
      const response = await call(app, 'GET', `${base}/events?after=${after}`);
      expect(response.status, after).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('a JSON body is taken as sent: "port": "80" and "name": 5 are 400', async () => {
    const app = await localApp();
    const base = await newSession(app);
    const port = await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: '80' });
    const name = await call(app, 'POST', '/v1/sessions', { name: 5 });
    expect([port.status, port.body?.['detail']]).toEqual([400, 'body/port must be integer']);
    expect([name.status, name.body?.['detail']]).toEqual([400, 'body/name must be string']);
    // The query string is text, and still read as numbers.
    expect((await call(app, 'GET', `${base}/segments?limit=5`)).status).toBe(200);
  });
});

describe('injected segments carry only what a TCP header can', () => {
  const segment = (options: Record<string, unknown>) => ({
    src: { address: '10.0.0.9', port: 4444 },
    dst: { address: '10.0.0.2', port: 80 },
    flags: 'S',
    seq: 1,
    options,
  });
  const block = { left: 1, right: 2 };

  it.each([
    ['five SACK blocks', { sack: [block, block, block, block, block] }, '/body/options/sack'],
    ['an MSS of 2^53', { mss: 2 ** 53 }, '/body/options/mss'],
    ['a window scale of 1000', { wscale: 1000 }, '/body/options/wscale'],
    ['a timestamp over 32 bits', { ts: { val: 2 ** 32, ecr: 0 } }, '/body/options/ts/val'],
    [
      'options over 40 bytes (timestamps and 4 SACK blocks)',
      { ts: { val: 1, ecr: 0 }, sack: [block, block, block, block] },
      '/body/options',
    ],
  ])('%s is 400, and the capture still downloads whole', async (_what, options, path) => {
    const app = await localApp();
    const base = await newSession(app);
    await clientAndServer(app, base);
    await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    const response = await call(app, 'POST', `${base}/inject`, segment(options));
    expect(response.status).toBe(400);
    expect((response.body?.['errors'] as { path: string }[])[0]?.path).toBe(path);
    const capture = await app.inject({ method: 'GET', url: `${base}/trace.pcapng` });
    expect(capture.statusCode).toBe(200);
    expect(capture.rawPayload.length).toBeGreaterThan(100);
  });

  it('three SACK blocks beside timestamps (36 bytes) are taken', async () => {
    const app = await localApp();
    const base = await newSession(app);
    await clientAndServer(app, base);
    const options = { ts: { val: 1, ecr: 0 }, sack: [block, block, block] };
    const response = await call(app, 'POST', `${base}/inject`, { ...segment(options), flags: '.' });
    expect(response.status).toBe(202);
  });
});

describe('errors answered before routing are problem+json, with the security headers', () => {
  /** A raw request to the listening app: status, content type and body. */
  function raw(url: string, path: string, headers: Record<string, string> = {}) {
    return new Promise<{
      status: number;
      type: string | undefined;
      body: string;
      headers: Record<string, unknown>;
    }>((resolve, reject) => {
      const request = httpRequest(`${url}${path}`, { headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'],
            body,
            headers: response.headers,
          }),
        );
      });
      request.on('error', reject);
      request.end();
    });
  }

  it('an id of 10,000 characters is 414, a URL that does not decode 400, headers of 20 kB 431', async () => {
    const app = await localApp();
    const url = await listening(app);
    const long = await raw(url, `/v1/sessions/${'a'.repeat(10_000)}`);
    const undecodable = await raw(url, '/v1/sessions/%');
    const headers = await raw(url, '/healthz', { 'x-big': 'a'.repeat(20_000) });
    for (const [response, status] of [
      [long, 414],
      [undecodable, 400],
      [headers, 431],
    ] as const) {
      expect(response.status).toBe(status);
      expect(response.type).toBe(PROBLEM);
      expect(JSON.parse(response.body)).toMatchObject({ status, code: 'BAD_REQUEST' });
      // Answered before any hook runs, and still with the headers every answer carries.
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      });
    }
  });
});

describe('socket.io payloads get the same bounds', () => {
  it('subscribe {after: 2^63} is refused in its acknowledgement, and the connection stays', async () => {
    const app = await localApp();
    const base = await newSession(app);
    const url = await listening(app);
    const socket = await connect(cleanups, url);
    const sessionId = base.slice('/v1/sessions/'.length);
    const refused = await subscribe(socket, { sessionId, after: 2 ** 63 });
    expect(refused).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(socket.connected).toBe(true);
    expect(await subscribe(socket, { sessionId, after: 0 })).toMatchObject({ ok: true });
  });
});
