// Bodies and queries built from each route's own schema, and mutations of them, at every route
// of the route table: every answer is a success or a 4xx problem+json, never a 5xx, and a
// session the requests do not name is left exactly as it was. A new route is covered as soon
// as it exists.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import type { RouteEntry } from '../src/plugins/auth.js';
import { call, clientAndServer, migratedApp } from './apps.js';
import type { MigratedDatabase } from './databases.js';
import { matching, mutated } from './schema-arbitraries.js';

const fcSeed = process.env.FC_SEED;
const seed = fcSeed === undefined ? 20261207 : fcSeed === 'random' ? Date.now() : Number(fcSeed);

const cleanups: (() => Promise<void>)[] = [];
let app: App;
let db: MigratedDatabase;
let target: string;
let bystander: string;

/** What a session looks like from outside, and how many commands it has logged. */
async function observe(sid: string) {
  const base = `/v1/sessions/${sid}`;
  const get = async (url: string) => (await app.inject({ method: 'GET', url })).body;
  return {
    session: await get(base),
    endpoints: await get(`${base}/endpoints`),
    segments: await get(`${base}/segments?limit=1000`),
    faults: await get(`${base}/faults`),
    viewerTokens: await get(`${base}/viewer-tokens`),
    commands: await db.database.prisma.command.count({ where: { sessionId: sid } }),
  };
}

beforeAll(async () => {
  ({ app, db } = await migratedApp(cleanups, {
    auth: { mode: 'disabled' },
    // Small budgets keep a random day-long clock move short.
    runtime: {
      limits: { ...DEFAULT_LIMITS, maxEventsPerRequest: 2_000, maxTraceEvents: 50_000 },
    },
  }));
  const session = async () => {
    const created = await call(app, 'POST', '/v1/sessions', { seed: 11 });
    const sid = created.body?.['id'] as string;
    await clientAndServer(app, `/v1/sessions/${sid}`);
    await call(app, 'POST', `/v1/sessions/${sid}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 1000,
    });
    return sid;
  };
  target = await session();
  bystander = await session();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A value for each route parameter: the target session, its ids, and ids that name nothing. */
function parameter(name: string): fc.Arbitrary<string> {
  switch (name) {
    case 'sid':
      return fc.constant(target);
    case 'eid':
      return fc.constantFrom('e1', 'e2', 'e3', 'e99');
    case 'fid':
      return fc.constantFrom('f1', 'f2', 'f99');
    case 'tid':
      return fc.constantFrom('local', 'other-tenant');
    case 'name':
      return fc.constantFrom('handshake', 'teardown', 'no-such-lesson');
    default:
      return fc.uuid();
  }
}

/** A request to `route`: its path filled, a query and a body from its schemas or mutations. */
function requestTo(route: RouteEntry) {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
  const params = fc.tuple(...names.map(parameter));
  const input = (part: unknown) =>
    part === undefined ? fc.constant(undefined) : fc.oneof(matching(part), mutated(part));
  return fc
    .tuple(params, input(schema['querystring']), input(schema['body']))
    .map(([values, query, body]) => {
      let path = route.url.replace('*', 'x');
      names.forEach((name, index) => (path = path.replace(`:${name}`, values[index] ?? '')));
      const search =
        typeof query === 'object' && query !== null
          ? new URLSearchParams(
              Object.entries(query).map(([key, value]) => [key, String(value)] as [string, string]),
            ).toString()
          : '';
      return { method: route.method, url: search === '' ? path : `${path}?${search}`, body };
    });
}

describe('properties of every route', () => {
  it('inputs from the routes own schemas, and mutations: success or 4xx problem+json, never 5xx; other sessions untouched', async () => {
    const before = await observe(bystander);
    // Deleting the target would leave the rest of the run nothing to act on.
    const routes = app
      .routeTable()
      .filter((route) => !(route.method === 'DELETE' && route.url === '/v1/sessions/:sid'));
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes).chain(requestTo),
        async ({ method, url, body }) => {
          const response = await app.inject({
            method: method as 'GET',
            url,
            ...(body === undefined
              ? {}
              : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          });
          const status = response.statusCode;
          const problem = String(response.headers['content-type']).startsWith(
            'application/problem+json',
          );
          if (status >= 500 || (status >= 400 && !problem)) {
            failures.push(`${method} ${url} ${JSON.stringify(body)}: ${status} ${response.body}`);
          }
        },
      ),
      { seed, numRuns: 1500 },
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect(await observe(bystander)).toEqual(before);
  }, 240_000);
});
