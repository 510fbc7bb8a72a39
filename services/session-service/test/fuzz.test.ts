// Thousands of random and malformed requests at every route: never a 5xx, and nothing changes
// in the sessions that exist (every one of these requests is refused before it acts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

const fcSeed = process.env.FC_SEED;
const seed = fcSeed === undefined ? 20261122 : fcSeed === 'random' ? Date.now() : Number(fcSeed);

let db: MigratedDatabase;
let app: App;
let base: string;
let before: unknown;

/** What a session looks like from outside, and how many commands it has logged. */
async function observe() {
  const get = async (url: string) => (await app.inject({ method: 'GET', url })).json<unknown>();
  return {
    session: await get(base),
    endpoints: await get(`${base}/endpoints`),
    segments: await get(`${base}/segments?limit=1000`),
    faults: await get(`${base}/faults`),
    tenants: await get('/v1/tenants'),
    keys: await get('/v1/keys'),
    viewerTokens: await get(`${base}/viewer-tokens`),
    commands: await db.database.prisma.command.count(),
  };
}

beforeAll(async () => {
  db = await createMigratedDatabase();
  app = await buildApp({
    database: db.database,
    migrations: db.migrations,
    auth: { mode: 'disabled' },
  });
  const post = (url: string, payload?: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
  base = `/v1/sessions/${(await post('/v1/sessions', { seed: 1 })).json<{ id: string }>().id}`;
  await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80 });
  await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
  await post(`${base}/endpoints/e1/listen`);
  await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
  await post(`${base}/endpoints/e2/send`, { data: 'hello' });
  await post(`${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
  before = await observe();
});

afterAll(async () => {
  await app.close();
  await db.dispose();
});

const METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'] as const;

/** Every route of the API, with `{sid}`, `{eid}` and `{fid}` (also a viewer token's) to fill. */
const ROUTES = [
  '/v1/sessions',
  '/v1/sessions/{sid}',
  '/v1/sessions/{sid}/clock',
  '/v1/sessions/{sid}/endpoints',
  '/v1/sessions/{sid}/endpoints/{eid}',
  ...['listen', 'connect', 'send', 'receive', 'shutdown', 'close', 'abort'].map(
    (call) => `/v1/sessions/{sid}/endpoints/{eid}/${call}`,
  ),
  '/v1/sessions/{sid}/segments',
  '/v1/sessions/{sid}/events',
  '/v1/sessions/{sid}/faults',
  '/v1/sessions/{sid}/faults/{fid}',
  '/v1/sessions/{sid}/inject',
  '/v1/sessions/{sid}/trace.pcapng',
  '/v1/sessions/{sid}/viewer-tokens',
  '/v1/sessions/{sid}/viewer-tokens/{fid}',
  '/v1/tenants',
  '/v1/tenants/{sid}',
  '/v1/keys',
  '/v1/keys/{sid}',
  '/v1/scenarios',
  '/v1/scenarios/{sid}',
];

/** Routes that answer 2xx to a GET or a well-formed POST without any id: lists and creation. */
const COLLECTIONS = new Set(['/v1/sessions', '/v1/tenants', '/v1/keys', '/v1/scenarios']);

/** Ids that name nothing: malformed ones, and well-formed ones that do not exist. */
const strangeId = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.uuid().map((id) => id),
  fc.constantFrom('e0', 'e99', 'f0', 'f42', '..', '%00', 'null', '-1', '1e9'),
);

/** Bodies: anything JSON can hold, text that is not JSON, and nothing. */
const strangeBody = fc.oneof(
  fc.jsonValue().map((value) => ({ payload: JSON.stringify(value), type: 'application/json' })),
  fc.string({ maxLength: 60 }).map((text) => ({ payload: text, type: 'application/json' })),
  fc.string({ maxLength: 60 }).map((text) => ({ payload: text, type: 'text/plain' })),
  fc.constant({ payload: undefined, type: undefined }),
);

describe('fuzz', () => {
  it('random ids at every route: 4xx, never 5xx, and nothing changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        fc.constantFrom(...ROUTES),
        strangeId,
        strangeId,
        strangeBody,
        async (method, route, id, other, body) => {
          // The session is a stranger (unless the route has none); endpoint and fault ids too.
          const url = route.replace('{sid}', id).replace('{eid}', other).replace('{fid}', other);
          if (COLLECTIONS.has(url) && (method === 'POST' || method === 'GET')) return;
          const response = await app.inject({
            method,
            url,
            ...(body.payload === undefined ? {} : { payload: body.payload }),
            ...(body.type === undefined ? {} : { headers: { 'content-type': body.type } }),
          });
          expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeGreaterThanOrEqual(
            400,
          );
          expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(500);
        },
      ),
      { seed, numRuns: 1500 },
    );
    expect(await observe()).toEqual(before);
  }, 120_000);

  it('malformed bodies at the routes of an existing session: 400, and nothing changes', async () => {
    const withBody = [
      ['POST', '/v1/sessions'],
      ['PATCH', base],
      ['POST', `${base}/clock`],
      ['POST', `${base}/endpoints`],
      ['POST', `${base}/endpoints/e2/connect`],
      ['POST', `${base}/endpoints/e2/send`],
      ['POST', `${base}/endpoints/e3/receive`],
      ['POST', `${base}/faults`],
      ['POST', `${base}/inject`],
      ['POST', `${base}/viewer-tokens`],
      ['POST', '/v1/tenants'],
      ['PATCH', '/v1/tenants/local'],
      ['POST', '/v1/keys'],
    ] as const;
    const invalid = fc.oneof(
      // Not an object at all, or an object with a field no route has.
      fc.oneof(
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.jsonValue()),
      ),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()).map((o) => ({ ...o, __fuzz: 1 })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...withBody),
        fc.oneof(
          invalid.map((value) => JSON.stringify(value)),
          fc.string({ minLength: 1, maxLength: 40 }).filter((text) => {
            try {
              JSON.parse(text);
              return false;
            } catch {
              return true;
            }
          }),
        ),
        async ([method, url], payload) => {
          const response = await app.inject({
            method,
            url,
            payload,
            headers: { 'content-type': 'application/json' },
          });
          expect(response.statusCode, `${method} ${url} ${payload}: ${response.body}`).toBe(400);
        },
      ),
      { seed, numRuns: 1500 },
    );
    expect(await observe()).toEqual(before);
  }, 120_000);
});
