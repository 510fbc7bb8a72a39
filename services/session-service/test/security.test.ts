// The access policy, route by route, generated from the app's own route table: a new route is
// covered without a new test. Every route is called with every kind of credential (none, a
// malformed key, an unknown and a revoked one, another tenant's, each role, a viewer token of
// this session and of another) under several spellings of its path (percent-encoded letters
// and separators, case, dot segments, double and trailing slashes). What a route's declared
// access denies is answered 401, 403 or 404 and changes nothing; what it allows is never 401
// or 403; no answer is a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleMayCall, type RouteAccess } from '../src/auth/access.js';
import { generateKey, keyPrefix, type Role } from '../src/auth/keys.js';
import type { App } from '../src/app.js';
import type { RouteEntry } from '../src/plugins/auth.js';
import { migratedApp, newKey } from './apps.js';
import type { MigratedDatabase } from './databases.js';

const cleanups: (() => Promise<void>)[] = [];
let app: App;
let db: MigratedDatabase;

/** What each credential is, and who it speaks for. */
interface Credential {
  name: string;
  header: string | undefined;
  /** undefined: no principal at all (401). */
  role?: Role;
  tenant?: 'own' | 'other';
  viewerTokenOf?: 'own' | 'other';
}

let credentials: Credential[];
/** Values for the route parameters, all of tenant uni-a (the "own" tenant). */
let params: Record<string, string>;

const bearer = (key: string) => `Bearer ${key}`;

beforeAll(async () => {
  ({ app, db } = await migratedApp(cleanups));
  const admin = await newKey(db, 'uni-a', 'admin');
  const instructor = await newKey(db, 'uni-a', 'instructor');
  const viewer = await newKey(db, 'uni-a', 'viewer');
  const revoked = await newKey(db, 'uni-a', 'admin');
  await db.database.prisma.apiKey.update({
    where: { prefix: keyPrefix(revoked) },
    data: { revokedAt: new Date() },
  });
  const otherInstructor = await newKey(db, 'uni-b', 'instructor');

  const post = async (url: string, key: string, payload: Record<string, unknown> = {}) => {
    const response = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: bearer(key) },
      payload,
    });
    expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
    return response.json<Record<string, string>>();
  };
  const own = (await post('/v1/sessions', instructor, { seed: 1 })).id as string;
  const other = (await post('/v1/sessions', otherInstructor, { seed: 2 })).id as string;
  await post(`/v1/sessions/${own}/endpoints`, instructor, { address: '10.0.0.2', port: 80 });
  const fault = await post(`/v1/sessions/${own}/faults`, instructor, {
    match: { flags: 'S' },
    action: 'drop',
  });
  const ownToken = await post(`/v1/sessions/${own}/viewer-tokens`, instructor);
  const otherToken = await post(`/v1/sessions/${other}/viewer-tokens`, otherInstructor);
  const keyRow = await db.database.prisma.apiKey.findUniqueOrThrow({
    where: { prefix: keyPrefix(viewer) },
  });
  params = {
    sid: own,
    eid: 'e1',
    fid: fault.id as string,
    vid: ownToken.id as string,
    tid: 'uni-a',
    kid: keyRow.id,
    name: 'handshake',
  };
  credentials = [
    { name: 'no key', header: undefined },
    { name: 'a malformed key', header: 'Bearer' },
    { name: 'another scheme', header: `Basic ${Buffer.from('a:b').toString('base64')}` },
    { name: 'an unknown key', header: bearer(generateKey()) },
    { name: 'a revoked key', header: bearer(revoked) },
    {
      name: "another tenant's instructor",
      header: bearer(otherInstructor),
      role: 'instructor',
      tenant: 'other',
    },
    { name: 'a viewer key', header: bearer(viewer), role: 'viewer', tenant: 'own' },
    { name: 'an instructor key', header: bearer(instructor), role: 'instructor', tenant: 'own' },
    { name: 'an admin key', header: bearer(admin), role: 'admin', tenant: 'own' },
    {
      name: "this session's viewer token",
      header: bearer(ownToken.token as string),
      role: 'viewer',
      viewerTokenOf: 'own',
    },
    {
      name: "another session's viewer token",
      header: bearer(otherToken.token as string),
      role: 'viewer',
      viewerTokenOf: 'other',
    },
  ];
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The routes the policy guards (all but public ones), with concrete paths. */
function guardedRoutes(): (RouteEntry & { access: RouteAccess; path: string })[] {
  return app
    .routeTable()
    .filter((route): route is RouteEntry & { access: RouteAccess } => route.access !== undefined)
    .filter((route) => route.access.allow !== 'anyone')
    .map((route) => ({
      ...route,
      path: route.url.replace(/:(\w+)/g, (_, name: string) => {
        const value = params[name];
        if (value === undefined) throw new Error(`no test value for :${name} in ${route.url}`);
        return value;
      }),
    }));
}

/** Whether the policy lets `credential` call `route` (tenant isolation aside). */
function allowed(route: RouteEntry & { access: RouteAccess }, credential: Credential): boolean {
  if (credential.role === undefined) return false;
  if (credential.viewerTokenOf !== undefined) {
    return route.access.viewerToken === true && credential.viewerTokenOf === 'own';
  }
  return roleMayCall(route.access, credential.role);
}

async function send(method: string, path: string, credential: Credential, probeOnly: boolean) {
  const response = await app.inject({
    method: method as 'GET',
    url: path,
    headers: {
      ...(credential.header === undefined ? {} : { authorization: credential.header }),
      // A body that cannot parse: an allowed call stops at 400, before it acts.
      ...(probeOnly ? { 'content-type': 'application/json' } : {}),
    },
    ...(probeOnly ? { payload: '{' } : {}),
  });
  return response;
}

/** Other spellings of `path` that a router or a proxy might take for it. */
function spellings(path: string): { name: string; path: string }[] {
  const segments = path.split('/').slice(1);
  const encodeFirst = (segment: string) =>
    `%${segment.charCodeAt(0).toString(16).padStart(2, '0')}${segment.slice(1)}`;
  const variants: { name: string; path: string }[] = [];
  segments.forEach((segment, index) => {
    if (segment === '' || Object.values(params).includes(segment)) return;
    const changed = [...segments];
    changed[index] = encodeFirst(segment);
    variants.push({ name: `"${segment}" percent-encoded`, path: `/${changed.join('/')}` });
    const upper = [...segments];
    upper[index] = segment.toUpperCase();
    variants.push({ name: `"${segment}" in upper case`, path: `/${upper.join('/')}` });
    const dashed = segment.replace(/-/g, '%2D').replace(/\./g, '%2E');
    if (dashed !== segment) {
      const escaped = [...segments];
      escaped[index] = dashed;
      variants.push({
        name: `"${segment}" with encoded punctuation`,
        path: `/${escaped.join('/')}`,
      });
    }
  });
  variants.push(
    { name: 'separators percent-encoded', path: path.replace(/\//g, '%2F') },
    { name: 'the last separator percent-encoded', path: path.replace(/\/([^/]*)$/, '%2F$1') },
    { name: 'a dot segment', path: path.replace('/v1/', '/v1/./') },
    { name: 'a dot-dot segment', path: path.replace('/v1/', '/v1/x/../') },
    { name: 'an encoded dot-dot segment', path: path.replace('/v1/', '/v1/x/%2e%2e/') },
    { name: 'a double slash', path: path.replace('/v1/', '/v1//') },
    { name: 'a leading double slash', path: `/${path}` },
    { name: 'a trailing slash', path: `${path}/` },
    { name: 'a semicolon parameter', path: `${path};x=1` },
  );
  return variants;
}

describe('the access policy, generated from the route table', () => {
  it('every route declares its access (the app would not start otherwise)', () => {
    const routes = app.routeTable();
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((route) => route.access === undefined)).toEqual([]);
    // The admin routes are where an encoded path once led without a key.
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'POST', url: '/v1/keys', access: { allow: 'admin' } }),
    );
  });

  it('answers each credential as the route declares, never a 5xx', async () => {
    const failures: string[] = [];
    for (const route of guardedRoutes()) {
      for (const credential of credentials) {
        const may = allowed(route, credential);
        // A call that may act is sent with a body that cannot parse, so that it stops at 400.
        const probeOnly =
          may && credential.tenant !== 'other' && route.method !== 'GET' && route.method !== 'HEAD';
        const response = await send(route.method, route.path, credential, probeOnly);
        const status = response.statusCode;
        const where = `${route.method} ${route.url} with ${credential.name}: ${status}`;
        if (status >= 500) failures.push(`${where} (5xx)`);
        else if (!may && credential.role === undefined && status !== 401) failures.push(where);
        else if (!may && credential.role !== undefined && status !== 403) failures.push(where);
        else if (may && credential.tenant === 'other' && route.url.includes(':sid')) {
          // Refused as if the session did not exist: 404, or 400 for a body it lacks.
          if (status !== 404 && status !== 400) failures.push(`${where} (must be 404)`);
        } else if (may && (status === 401 || status === 403)) failures.push(where);
        if (status === 401 && response.headers['www-authenticate'] !== 'Bearer realm="tcplab"') {
          failures.push(`${where} without WWW-Authenticate`);
        }
      }
    }
    expect(failures).toEqual([]);
    // Some thousands of requests through the whole app: a few seconds, more on a busy machine.
  }, 180_000);

  it('no other spelling of a path lets a credential past what the route declares', async () => {
    const failures: string[] = [];
    for (const route of guardedRoutes()) {
      for (const credential of credentials) {
        const ofOtherTenant = credential.tenant === 'other' && route.url.includes(':sid');
        if (allowed(route, credential) && !ofOtherTenant) continue;
        for (const spelling of spellings(route.path)) {
          const response = await send(route.method, spelling.path, credential, false);
          const status = response.statusCode;
          if (status < 400 || status >= 500) {
            failures.push(
              `${route.method} ${spelling.path} (${spelling.name}) with ${credential.name}: ${status}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Some thousands of requests through the whole app: a few seconds, more on a busy machine.
  }, 180_000);

  it('the public routes answer without a key', async () => {
    const publicRoutes = app
      .routeTable()
      .filter((route) => route.access?.allow === 'anyone' && route.method === 'GET');
    expect(publicRoutes.map((route) => route.url)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/openapi.json', '/docs/', '/']),
    );
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('the policy changed nothing: the keys, tokens and sessions are as they were', async () => {
    expect(await db.database.prisma.apiKey.count()).toBe(5);
    expect(await db.database.prisma.viewerToken.count({ where: { revokedAt: null } })).toBe(2);
    expect(await db.database.prisma.session.count()).toBe(2);
    expect(await db.database.prisma.tenant.count()).toBe(2);
  });
});

/** Every place in `schema` where a number or a string is unbounded, as JSON pointers. */
function unbounded(schema: unknown, path: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const found: string[] = [];
  const type = node['type'];
  // A constant or a list of values is bounded by itself.
  const fixed = node['const'] !== undefined || node['enum'] !== undefined;
  if ((type === 'integer' || type === 'number') && !fixed) {
    const min = node['minimum'] ?? node['exclusiveMinimum'];
    const max = node['maximum'] ?? node['exclusiveMaximum'];
    const safe = (value: unknown) =>
      typeof value === 'number' && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
    if (!safe(min) || !safe(max)) found.push(`${path} (${type} without both bounds)`);
  }
  if (type === 'string' && !fixed) {
    if (typeof node['maxLength'] !== 'number' && node['format'] === undefined) {
      found.push(`${path} (string without maxLength)`);
    }
  }
  if (type === 'array' && typeof node['maxItems'] !== 'number') {
    found.push(`${path} (array without maxItems)`);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = node[key];
    if (Array.isArray(options)) {
      options.forEach((option, index) =>
        found.push(...unbounded(option, `${path}/${key}/${index}`)),
      );
    }
  }
  const properties = node['properties'];
  if (typeof properties === 'object' && properties !== null) {
    for (const [name, property] of Object.entries(properties)) {
      found.push(...unbounded(property, `${path}/${name}`));
    }
  }
  found.push(...unbounded(node['items'], `${path}/items`));
  found.push(...unbounded(node['additionalProperties'], `${path}/additionalProperties`));
  return found;
}

describe('request schemas, generated from the route table', () => {
  it('bound every number to what storage and the wire hold, and every string and list', () => {
    const found = app
      .routeTable()
      .flatMap((route) =>
        (['params', 'querystring', 'body'] as const).flatMap((part) =>
          unbounded(
            (route.schema as Record<string, unknown> | undefined)?.[part],
            `${route.method} ${route.url} ${part}`,
          ),
        ),
      );
    expect(found).toEqual([]);
  });
});
