import { describe, expect, it } from 'vitest';
import { createClient, type TcplabClient } from './client.js';
import { isApiError, isNetworkError } from './errors.js';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers `status` with `body` as `contentType`. */
function fakeFetch(status: number, body: string, contentType = 'application/json') {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    sent.push({
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : input.toString(),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : init?.body,
    });
    const answer = status === 204 ? null : body;
    return Promise.resolve(
      new Response(answer, { status, headers: { 'content-type': contentType } }),
    );
  };
  return { fetch, sent };
}

const SID = '0b6f4c1e-1111-4c4c-8c8c-000000000001';
const S = `http://lab.test/v1/sessions/${SID}`;
const KID = '0b6f4c1e-2222-4c4c-8c8c-000000000002';
const VID = '0b6f4c1e-3333-4c4c-8c8c-000000000003';
const remote = { address: '10.0.0.2', port: 80 };
const injected = {
  src: { address: '10.0.0.9', port: 4444 },
  dst: remote,
  flags: 'S',
  seq: 0,
  options: { mss: 1460 },
};

/** Every REST method: what it sends (method, URL, JSON body) and the status it is answered. */
const routes: [string, (c: TcplabClient) => Promise<unknown>, string, string, unknown, number][] = [
  ['health', (c) => c.health(), 'GET', 'http://lab.test/healthz', undefined, 200],
  ['readiness', (c) => c.readiness(), 'GET', 'http://lab.test/readyz', undefined, 200],
  [
    'sessions.create',
    (c) => c.sessions.create({ name: 'lab', seed: 1 }),
    'POST',
    'http://lab.test/v1/sessions',
    { name: 'lab', seed: 1 },
    201,
  ],
  [
    'sessions.create without a body',
    (c) => c.sessions.create(),
    'POST',
    'http://lab.test/v1/sessions',
    {},
    201,
  ],
  ['sessions.list', (c) => c.sessions.list(), 'GET', 'http://lab.test/v1/sessions', undefined, 200],
  ['sessions.get', (c) => c.sessions.get(SID), 'GET', S, undefined, 200],
  [
    'sessions.update',
    (c) => c.sessions.update(SID, { link: { lossRate: 0.05 } }),
    'PATCH',
    S,
    { link: { lossRate: 0.05 } },
    200,
  ],
  ['sessions.delete', (c) => c.sessions.delete(SID), 'DELETE', S, undefined, 204],
  [
    'sessions.clock',
    (c) => c.sessions.clock(SID, { action: 'advance', ms: 100 }),
    'POST',
    `${S}/clock`,
    { action: 'advance', ms: 100 },
    200,
  ],
  [
    'endpoints.create',
    (c) => c.endpoints.create(SID, { name: 'server', ...remote }),
    'POST',
    `${S}/endpoints`,
    { name: 'server', ...remote },
    201,
  ],
  ['endpoints.list', (c) => c.endpoints.list(SID), 'GET', `${S}/endpoints`, undefined, 200],
  ['endpoints.get', (c) => c.endpoints.get(SID, 'e1'), 'GET', `${S}/endpoints/e1`, undefined, 200],
  [
    'endpoints.setOptions',
    (c) => c.endpoints.setOptions(SID, 'e1', { nagle: false }),
    'PATCH',
    `${S}/endpoints/e1`,
    { nagle: false },
    200,
  ],
  [
    'endpoints.listen',
    (c) => c.endpoints.listen(SID, 'e1'),
    'POST',
    `${S}/endpoints/e1/listen`,
    undefined,
    200,
  ],
  [
    'endpoints.connect',
    (c) => c.endpoints.connect(SID, 'e2', { remote }),
    'POST',
    `${S}/endpoints/e2/connect`,
    { remote },
    200,
  ],
  [
    'endpoints.send',
    (c) => c.endpoints.send(SID, 'e2', { data: 'hello' }),
    'POST',
    `${S}/endpoints/e2/send`,
    { data: 'hello' },
    200,
  ],
  [
    'endpoints.receive',
    (c) => c.endpoints.receive(SID, 'e3', { max: 10 }),
    'POST',
    `${S}/endpoints/e3/receive`,
    { max: 10 },
    200,
  ],
  [
    'endpoints.receive without a body',
    (c) => c.endpoints.receive(SID, 'e3'),
    'POST',
    `${S}/endpoints/e3/receive`,
    {},
    200,
  ],
  [
    'endpoints.shutdown',
    (c) => c.endpoints.shutdown(SID, 'e2'),
    'POST',
    `${S}/endpoints/e2/shutdown`,
    undefined,
    200,
  ],
  [
    'endpoints.close',
    (c) => c.endpoints.close(SID, 'e2'),
    'POST',
    `${S}/endpoints/e2/close`,
    undefined,
    200,
  ],
  [
    'endpoints.abort',
    (c) => c.endpoints.abort(SID, 'e2'),
    'POST',
    `${S}/endpoints/e2/abort`,
    undefined,
    200,
  ],
  [
    'faults.create',
    (c) => c.faults.create(SID, { match: { from: 'e2', flags: 'F.' }, action: 'drop' }),
    'POST',
    `${S}/faults`,
    { match: { from: 'e2', flags: 'F.' }, action: 'drop' },
    201,
  ],
  ['faults.list', (c) => c.faults.list(SID), 'GET', `${S}/faults`, undefined, 200],
  ['faults.delete', (c) => c.faults.delete(SID, 'f1'), 'DELETE', `${S}/faults/f1`, undefined, 204],
  ['faults.inject', (c) => c.faults.inject(SID, injected), 'POST', `${S}/inject`, injected, 202],
  ['trace.segments', (c) => c.trace.segments(SID), 'GET', `${S}/segments`, undefined, 200],
  [
    'trace.segments paged',
    (c) => c.trace.segments(SID, { after: 3, limit: 2 }),
    'GET',
    `${S}/segments?after=3&limit=2`,
    undefined,
    200,
  ],
  [
    'trace.events paged and filtered',
    (c) => c.trace.events(SID, { after: 0, limit: 1000, kind: 'state' }),
    'GET',
    `${S}/events?after=0&limit=1000&kind=state`,
    undefined,
    200,
  ],
  [
    'viewerTokens.create',
    (c) => c.viewerTokens.create(SID, { name: 'room 2', expiresInSeconds: 7200 }),
    'POST',
    `${S}/viewer-tokens`,
    { name: 'room 2', expiresInSeconds: 7200 },
    201,
  ],
  [
    'viewerTokens.list',
    (c) => c.viewerTokens.list(SID),
    'GET',
    `${S}/viewer-tokens`,
    undefined,
    200,
  ],
  [
    'viewerTokens.revoke',
    (c) => c.viewerTokens.revoke(SID, VID),
    'DELETE',
    `${S}/viewer-tokens/${VID}`,
    undefined,
    204,
  ],
  [
    'scenarios.list',
    (c) => c.scenarios.list(),
    'GET',
    'http://lab.test/v1/scenarios',
    undefined,
    200,
  ],
  [
    'scenarios.get',
    (c) => c.scenarios.get('lost-final-ack'),
    'GET',
    'http://lab.test/v1/scenarios/lost-final-ack',
    undefined,
    200,
  ],
  [
    'admin.tenants.list',
    (c) => c.admin.tenants.list(),
    'GET',
    'http://lab.test/v1/tenants',
    undefined,
    200,
  ],
  [
    'admin.tenants.create',
    (c) => c.admin.tenants.create({ id: 'net-101', limits: { maxSessions: 3 } }),
    'POST',
    'http://lab.test/v1/tenants',
    { id: 'net-101', limits: { maxSessions: 3 } },
    201,
  ],
  [
    'admin.tenants.get',
    (c) => c.admin.tenants.get('net-101'),
    'GET',
    'http://lab.test/v1/tenants/net-101',
    undefined,
    200,
  ],
  [
    'admin.tenants.update',
    (c) => c.admin.tenants.update('net-101', { name: 'Networks 101' }),
    'PATCH',
    'http://lab.test/v1/tenants/net-101',
    { name: 'Networks 101' },
    200,
  ],
  ['admin.keys.list', (c) => c.admin.keys.list(), 'GET', 'http://lab.test/v1/keys', undefined, 200],
  [
    'admin.keys.list of a tenant',
    (c) => c.admin.keys.list({ tenantId: 'net-101' }),
    'GET',
    'http://lab.test/v1/keys?tenantId=net-101',
    undefined,
    200,
  ],
  [
    'admin.keys.create',
    (c) => c.admin.keys.create({ tenantId: 'net-101', role: 'viewer' }),
    'POST',
    'http://lab.test/v1/keys',
    { tenantId: 'net-101', role: 'viewer' },
    201,
  ],
  [
    'admin.keys.revoke',
    (c) => c.admin.keys.revoke(KID),
    'DELETE',
    `http://lab.test/v1/keys/${KID}`,
    undefined,
    204,
  ],
];

describe('every REST method', () => {
  it.each(routes)('%s: %s %s', async (_name, invoke, method, url, body, status) => {
    const answer = status === 204 ? undefined : { some: 'answer' };
    const { fetch, sent } = fakeFetch(status, JSON.stringify(answer ?? null));
    const client = createClient({ baseUrl: 'http://lab.test', apiKey: 'tl_secret', fetch });
    expect(await invoke(client)).toEqual(answer);
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: 'Bearer tl_secret',
    };
    // A JSON body is declared as one; a call without a body declares none (fastify refuses
    // an empty body declared as JSON).
    if (body !== undefined) headers['content-type'] = 'application/json';
    expect(sent).toEqual([{ method, url, headers, body }]);
  });

  it('covers each method of the client once at least', () => {
    const client = createClient({ baseUrl: 'http://lab.test' });
    const methods = (group: object, prefix: string): string[] =>
      Object.entries(group).flatMap(([name, value]) =>
        typeof value === 'function'
          ? [prefix + name]
          : methods(value as object, `${prefix}${name}.`),
      );
    // trace.pcapng answers a file, not JSON: its own tests are below.
    const covered = new Set([...routes.map(([name]) => name.split(' ')[0]), 'trace.pcapng']);
    const rest = methods(client, '').filter((name) => name !== 'watch');
    expect(rest.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('trace.pcapng', () => {
  it('asks for the capture and resolves its bytes', async () => {
    const { fetch, sent } = fakeFetch(200, '\n\r\r\n', 'application/x-pcapng');
    const client = createClient({ baseUrl: 'http://lab.test', apiKey: 'tl_secret', fetch });
    expect(await client.trace.pcapng(SID)).toEqual(new Uint8Array([10, 13, 13, 10]));
    expect(sent).toEqual([
      {
        method: 'GET',
        url: `${S}/trace.pcapng`,
        headers: {
          accept: 'application/x-pcapng, application/json',
          authorization: 'Bearer tl_secret',
        },
        body: undefined,
      },
    ]);
  });

  it('fails with the ApiError of a problem answer', async () => {
    const problem = { type: 'about:blank', title: 'Not found', status: 404, code: 'NOT_FOUND' };
    const { fetch } = fakeFetch(404, JSON.stringify(problem), 'application/problem+json');
    const error: unknown = await createClient({ baseUrl: 'http://lab.test', fetch })
      .trace.pcapng(SID)
      .catch((e: unknown) => e);
    expect(isApiError(error) && error.code).toBe('NOT_FOUND');
  });
});

describe('createClient', () => {
  it('encodes path parameters and keeps a base URL path prefix', async () => {
    const { fetch, sent } = fakeFetch(200, '{}');
    const client = createClient({ baseUrl: 'https://lab.test/tcplab/', fetch });
    await client.endpoints.get('a/b', 'e 1');
    expect(sent.map((s) => s.url)).toEqual([
      'https://lab.test/tcplab/v1/sessions/a%2Fb/endpoints/e%201',
    ]);
    expect(sent[0]?.headers).toEqual({ accept: 'application/json' }); // no key, no authorization
  });

  it('turns a problem+json answer into an ApiError carrying its code', async () => {
    const problem = {
      type: 'urn:tcplab:problem:ENOTCONN',
      title: 'Not connected',
      status: 409,
      code: 'ENOTCONN',
      detail: 'send is not possible in CLOSED (e2)',
      state: 'CLOSED',
    };
    const { fetch } = fakeFetch(409, JSON.stringify(problem), 'application/problem+json');
    const error: unknown = await createClient({ baseUrl: 'http://x', fetch })
      .endpoints.send(SID, 'e2', { data: 'x' })
      .catch((e: unknown) => e);
    expect(isApiError(error)).toBe(true);
    if (!isApiError(error)) return;
    expect(error.status).toBe(409);
    expect(error.code).toBe('ENOTCONN');
    expect(error.message).toBe('send is not possible in CLOSED (e2)');
    expect(error.problem.state).toBe('CLOSED'); // the problem's extensions are kept
  });

  it('still fails with an ApiError when a proxy answers with plain text', async () => {
    const { fetch } = fakeFetch(502, 'Bad Gateway', 'text/plain');
    const error: unknown = await createClient({ baseUrl: 'http://x', fetch })
      .health()
      .catch((e: unknown) => e);
    expect(isApiError(error) && [error.status, error.code, error.message]).toEqual([
      502,
      'HTTP_502',
      'Bad Gateway',
    ]);
  });

  it('refuses a success whose body is not JSON, naming the request', async () => {
    const { fetch } = fakeFetch(200, '<html>portal</html>', 'text/html');
    await expect(createClient({ baseUrl: 'http://x', fetch }).sessions.list()).rejects.toThrow(
      'GET http://x/v1/sessions: the service answered 200 with a body that is not JSON',
    );
  });

  it('rejects with a NetworkError, not an ApiError, when there is no answer', async () => {
    const fetch: typeof globalThis.fetch = () =>
      Promise.reject(
        new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }),
      );
    const error: unknown = await createClient({ baseUrl: 'http://127.0.0.1:9', fetch })
      .sessions.create()
      .catch((e: unknown) => e);
    expect(isApiError(error)).toBe(false);
    expect(isNetworkError(error)).toBe(true);
    expect(error).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:9/v1/sessions',
      message:
        'POST http://127.0.0.1:9/v1/sessions: no answer from the service (fetch failed: connect ECONNREFUSED 127.0.0.1:9)',
    });
  });

  it('reaches a real closed port with the global fetch as a NetworkError', async () => {
    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    const error: unknown = await createClient({ baseUrl: 'http://127.0.0.1:9' })
      .health()
      .catch((e: unknown) => e);
    expect(isNetworkError(error) && error.message).toMatch(/^GET http:\/\/127.0.0.1:9\/healthz: /);
  });

  it('is not fooled by an ordinary Error', () => {
    expect(isApiError(new Error('boom'))).toBe(false);
    expect(isNetworkError(new Error('boom'))).toBe(false);
  });
});

describe('watch', () => {
  it('checks its options at once, before connecting', () => {
    const client = createClient({ baseUrl: 'http://x' });
    expect(() => client.watch(SID, { after: -1 })).toThrow(RangeError);
    expect(() => client.watch(SID, { maxBufferedEvents: 0 })).toThrow(RangeError);
  });

  it('connects nothing until the first next(), and an aborted signal ends it there', async () => {
    const controller = new AbortController();
    controller.abort();
    const stream = createClient({ baseUrl: 'http://127.0.0.1:9' }).watch(SID, {
      signal: controller.signal,
    });
    await expect(stream.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('keeps trying an unreachable service until the signal is aborted', async () => {
    const controller = new AbortController();
    const stream = createClient({ baseUrl: 'http://127.0.0.1:9' }).watch(SID, {
      signal: controller.signal,
    });
    const pending = stream.next();
    setTimeout(() => controller.abort(new Error('enough')), 300);
    await expect(pending).rejects.toThrow('enough');
    expect(stream.lastEventId).toBe(0);
  });
});
