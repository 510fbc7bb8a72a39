// The typed SDK (@tcplab/client) against the real service on a real port, through the SDK only:
// the lab flow of sessions.test.ts (sessions, endpoints, clock, data, faults, inject, the trace
// paged), tenants and keys, viewer tokens, errors as ApiError with their codes, and watch():
// stored then live events with no gap or repeat, resuming by itself after the service cuts the
// connection, drops it or restarts, a bounded buffer for a slow consumer, and a closed socket
// when the loop ends.
import {
  createClient,
  isApiError,
  isNetworkError,
  type ClientOptions,
  type Segment,
  type TcplabClient,
  type AnyTraceEvent,
  type TraceStream,
} from '@tcplab/client';
import { loadLibrary } from '@tcplab/client/library';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { migratedApp, newKey } from './apps.js';
import type { MigratedDatabase } from './databases.js';
import { listening, until } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every SDK method a test called, by its path (`endpoints.send`): the last test checks them. */
const called = new Set<string>();

function recorded<T extends object>(target: T, prefix = ''): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      const value: unknown = Reflect.get(object, name, receiver);
      if (typeof name !== 'string') return value;
      if (typeof value === 'function') {
        return (...args: unknown[]): unknown => {
          called.add(prefix + name);
          return (value as (...args: unknown[]) => unknown).apply(object, args);
        };
      }
      if (typeof value === 'object' && value !== null) return recorded(value, `${prefix}${name}.`);
      return value;
    },
  });
}

function sdk(options: ClientOptions): TcplabClient {
  return recorded(createClient(options));
}

/** A service on a free loopback port, with an instructor's client of tenant uni-a. */
async function service(): Promise<{
  app: App;
  db: MigratedDatabase;
  url: string;
  client: TcplabClient;
}> {
  const { app, db } = await migratedApp(cleanups);
  const url = await listening(app);
  const client = sdk({ baseUrl: url, apiKey: await newKey(db, 'uni-a', 'instructor') });
  return { app, db, url, client };
}

const SERVER = { address: '10.0.0.2', port: 80 };
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';

/** A session with a server (e1, 10.0.0.2:80, ISN 5000) and a client (e2, 10.0.0.1:49152, ISN 1000). */
async function labSession(client: TcplabClient): Promise<string> {
  const session = await client.sessions.create({ name: 'lab', seed: 1 });
  expect(session).toMatchObject({
    name: 'lab',
    seed: 1,
    clock: { mode: 'manual', nowMs: 0, running: false },
    lastEventId: 0,
  });
  const server = await client.endpoints.create(session.id, {
    name: 'server',
    ...SERVER,
    options: { isn: 5000 },
  });
  const peer = await client.endpoints.create(session.id, {
    name: 'client',
    address: '10.0.0.1',
    port: 49152,
    options: { isn: 1000 },
  });
  expect([server.id, server.state, peer.id, peer.state]).toEqual(['e1', 'CLOSED', 'e2', 'CLOSED']);
  return session.id;
}

/** The server listens, the client connects, and the clock runs until the handshake is done. */
async function handshake(client: TcplabClient, sid: string): Promise<void> {
  expect((await client.endpoints.listen(sid, 'e1')).state).toBe('LISTEN');
  expect((await client.endpoints.connect(sid, 'e2', { remote: SERVER })).state).toBe('SYN-SENT');
  const ran = await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });
  expect(ran).toMatchObject({ nowMs: 30, idle: true }); // the last ACK reaches the server at 30 ms
}

/** Segments as tcpdump-like lines: `client|server flags seq ack len`. */
function lines(segments: Segment[]): string[] {
  return segments.map(
    (s) => `${s.src.port === 80 ? 'server' : 'client'} ${s.flags} ${s.seq} ${s.ack} ${s.len}`,
  );
}

/** What `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('a lab through the SDK', () => {
  it('handshake, data both ways, and both closes: the states and segments a student expects', async () => {
    const { client } = await service();
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.readiness()).toMatchObject({ status: 'ready', checks: { database: 'up' } });
    const sid = await labSession(client);
    await handshake(client, sid);

    const endpoints = await client.endpoints.list(sid);
    expect(endpoints.items.map((e) => [e.id, e.state, e.parentId])).toEqual([
      ['e1', 'LISTEN', undefined],
      ['e2', 'ESTABLISHED', undefined],
      ['e3', 'ESTABLISHED', 'e1'],
    ]);
    expect(await client.endpoints.send(sid, 'e2', { data: 'hello' })).toEqual({ accepted: 5 });
    await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect(await client.endpoints.receive(sid, 'e3')).toEqual({
      bytes: 5,
      data: 'hello',
      base64: 'aGVsbG8=',
      eof: false,
    });
    await client.endpoints.send(sid, 'e3', { base64: 'b2s=' });
    await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect(await client.endpoints.receive(sid, 'e2', { max: 10 })).toMatchObject({ data: 'ok' });

    expect((await client.endpoints.close(sid, 'e2')).state).toBe('FIN-WAIT-1');
    await client.sessions.clock(sid, { action: 'advance', ms: 100 });
    expect((await client.endpoints.close(sid, 'e3')).state).toBe('LAST-ACK');
    await client.sessions.clock(sid, { action: 'advance', ms: 100 });
    expect(await client.endpoints.get(sid, 'e2')).toMatchObject({
      state: 'TIME-WAIT',
      counters: { segmentsSent: 6, retransmissions: 0, bytesSent: 5, bytesRead: 2 },
    });
    expect((await client.endpoints.get(sid, 'e3')).state).toBe('CLOSED');

    const segments = await client.trace.segments(sid, { limit: 1000 });
    expect(lines(segments.items)).toEqual([
      'client S 1000 0 0',
      'server S. 5000 1001 0',
      'client . 1001 5001 0',
      'client P. 1001 5001 5',
      'server . 5001 1006 0',
      'server P. 5001 1006 2',
      'client . 1006 5003 0',
      'client F. 1006 5003 0',
      'server . 5003 1007 0',
      'server F. 5003 1007 0',
      'client . 1007 5004 0',
    ]);
    expect(segments.nextAfter).toBe(segments.items.at(-1)?.eventId);
  });

  it('half-close: data still flows to a client in FIN-WAIT-2; an abort resets it', async () => {
    const { client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);

    expect((await client.endpoints.shutdown(sid, 'e2')).state).toBe('FIN-WAIT-1');
    await client.sessions.clock(sid, { action: 'advance', ms: 100 });
    const states = (await client.endpoints.list(sid)).items.map((e) => e.state);
    expect(states).toEqual(['LISTEN', 'FIN-WAIT-2', 'CLOSE-WAIT']);
    expect(await client.endpoints.send(sid, 'e3', { data: 'still here' })).toEqual({
      accepted: 10,
    });
    await client.sessions.clock(sid, { action: 'advance', ms: 100 });
    expect(await client.endpoints.receive(sid, 'e2')).toMatchObject({
      data: 'still here',
      eof: false,
    });
    expect(await client.endpoints.receive(sid, 'e3')).toMatchObject({ bytes: 0, eof: true });

    expect((await client.endpoints.abort(sid, 'e3')).state).toBe('CLOSED');
    await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect(await client.endpoints.get(sid, 'e2')).toMatchObject({
      state: 'CLOSED',
      error: 'ECONNRESET',
    });
    const segments = await client.trace.segments(sid, { limit: 1000 });
    expect(lines(segments.items).slice(3)).toEqual([
      'client F. 1001 5001 0',
      'server . 5001 1002 0',
      'server P. 5001 1002 10',
      'client . 1002 5011 0',
      'server R 5011 0 0',
    ]);
    // The same segments as a capture: a pcapng section header, then the link's interface,
    // then one packet block per segment.
    const capture = await client.trace.pcapng(sid);
    const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
    const blockTypes: number[] = [];
    for (let at = 0; at < capture.length; at += view.getUint32(at + 4, true)) {
      blockTypes.push(view.getUint32(at, true));
    }
    expect(blockTypes).toEqual([0x0a0d0d0a, 1, ...segments.items.map(() => 6)]);
  });

  it('setOptions changes a live endpoint as setsockopt does, and refuses what is fixed by then', async () => {
    const { client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);
    const changed = await client.endpoints.setOptions(sid, 'e2', { nagle: false });
    expect(changed).toMatchObject({ id: 'e2', state: 'ESTABLISHED', options: { nagle: false } });
    // Two small writes while the first is unacknowledged: with Nagle off, both leave at once.
    await client.endpoints.send(sid, 'e2', { data: 'a' });
    await client.endpoints.send(sid, 'e2', { data: 'b' });
    const sent = (await client.trace.segments(sid, { limit: 1000 })).items.filter(
      (s) => s.len === 1,
    );
    expect(sent.map((s) => s.timeMs)).toEqual([sent[0]?.timeMs, sent[0]?.timeMs]);
    const fixed = await client.endpoints
      .setOptions(sid, 'e2', { mss: 500 })
      .catch((e: unknown) => e);
    expect(isApiError(fixed) && [fixed.status, fixed.code]).toEqual([409, 'EINVAL']);
  });

  it('pages segments and events by eventId and filters events by kind', async () => {
    const { client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);

    const first = await client.trace.segments(sid, { limit: 2 });
    expect(first.items.map((s) => s.flags)).toEqual(['S', 'S.']);
    const rest = await client.trace.segments(sid, { after: first.nextAfter });
    expect(rest.items.map((s) => s.flags)).toEqual(['.']);
    const end = await client.trace.segments(sid, { after: rest.nextAfter });
    expect(end).toEqual({ items: [], nextAfter: rest.nextAfter });

    const states = await client.trace.events(sid, { kind: 'state', limit: 1000 });
    expect(states.items.map((e) => `${e.endpointId} ${String(e.to)}`)).toEqual([
      'e1 LISTEN',
      'e2 SYN-SENT',
      'e3 SYN-RECEIVED',
      'e2 ESTABLISHED',
      'e3 ESTABLISHED',
    ]);
    const paged: number[] = [];
    for (let after = 0; ;) {
      const page = await client.trace.events(sid, { after, limit: 3 });
      if (page.items.length === 0) break;
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items.map((e) => e.eventId));
      after = page.nextAfter;
    }
    expect(paged).toEqual(paged.map((_e, i) => i + 1)); // one counter per session: 1, 2, 3, ...
    expect(await client.sessions.get(sid)).toMatchObject({
      lastEventId: paged.length,
      clock: { nowMs: 30 },
    });
  });

  it('a fault drops the first FIN, which is sent again after the RTO; a rule can be removed', async () => {
    const { client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);

    const fault = await client.faults.create(sid, {
      match: { from: 'e2', flags: 'F.' },
      action: 'drop',
    });
    expect(fault).toEqual({
      id: 'f1',
      match: { from: { address: '10.0.0.1', port: 49152 }, flags: 'F.' },
      action: 'drop',
      seen: 0,
      applied: 0,
    });
    await client.endpoints.close(sid, 'e2');
    await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 5000 });
    const fins = (await client.trace.segments(sid, { limit: 1000 })).items
      .filter((s) => s.flags === 'F.')
      .map((s) => [s.timeMs, s.fate, s.reason]);
    expect(fins).toEqual([
      [30, 'dropped', 'fault f1'],
      [1030, 'delivered', undefined], // RTO 1 s (RFC 6298 §2.1 initial value), then again
    ]);
    expect(await client.endpoints.get(sid, 'e2')).toMatchObject({
      state: 'FIN-WAIT-2',
      counters: { retransmissions: 1 },
    });
    expect((await client.faults.list(sid)).items).toEqual([
      expect.objectContaining({ id: 'f1', seen: 2, applied: 1 }),
    ]);
    await client.faults.delete(sid, 'f1');
    expect(await client.faults.list(sid)).toEqual({ items: [] });
    expect(isApiError(await rejection(client.faults.delete(sid, 'f1')))).toBe(true);
  });

  it('inject plays the peer by hand: a SYN is answered SYN+ACK to a host that does not exist', async () => {
    const { client } = await service();
    const { id: sid } = await client.sessions.create({ seed: 1 });
    await client.endpoints.create(sid, { ...SERVER, options: { isn: 5000 } });
    await client.endpoints.listen(sid, 'e1');
    const peer = { address: '10.0.0.9', port: 4444 };
    expect(
      await client.faults.inject(sid, {
        src: peer,
        dst: SERVER,
        flags: 'S',
        seq: 0,
        options: { mss: 1460 },
      }),
    ).toEqual({ events: 1 });
    await client.sessions.clock(sid, { action: 'advance', ms: 50 });
    const [syn, synAck] = (await client.trace.segments(sid)).items;
    expect(syn).toMatchObject({ src: peer, flags: 'S', seq: 0, fate: 'delivered' });
    expect(synAck).toMatchObject({
      src: SERVER,
      dst: peer,
      flags: 'S.',
      seq: 5000,
      ack: 1,
      options: { mss: 1460 },
      fate: 'dropped',
      reason: 'no-host',
    });
    // The handshake's last ACK, by hand too: the accepted endpoint is established.
    await client.faults.inject(sid, { src: peer, dst: SERVER, flags: '.', seq: 1, ack: 5001 });
    await client.sessions.clock(sid, { action: 'advance', ms: 50 });
    expect(await client.endpoints.get(sid, 'e2')).toMatchObject({
      state: 'ESTABLISHED',
      parentId: 'e1',
      remote: peer,
    });
  });

  it('lists, renames and relinks sessions, and deletes one with everything in it', async () => {
    const { client } = await service();
    const sid = await labSession(client);
    expect((await client.sessions.list()).items.map((s) => s.id)).toEqual([sid]);
    expect(
      await client.sessions.update(sid, { name: 'renamed', link: { delayMs: 50 } }),
    ).toMatchObject({ name: 'renamed', link: { delayMs: 50 } });
    await client.endpoints.listen(sid, 'e1');
    await client.endpoints.connect(sid, 'e2', { remote: SERVER });
    await client.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });
    expect((await client.sessions.get(sid)).clock.nowMs).toBe(150); // three 50 ms crossings

    expect(await client.sessions.delete(sid)).toBeUndefined(); // 204
    const gone = await rejection(client.sessions.get(sid));
    expect(isApiError(gone) && [gone.status, gone.code]).toEqual([404, 'NOT_FOUND']);
    expect(await client.sessions.list()).toEqual({ items: [] });
  });
});

describe('errors through the SDK', () => {
  it('are ApiErrors with the status and code of the problem, and extensions kept', async () => {
    const { client, url } = await service();
    const notFound = await rejection(client.sessions.get(UNKNOWN_SESSION));
    expect(isApiError(notFound) && [notFound.status, notFound.code]).toEqual([404, 'NOT_FOUND']);

    const sid = await labSession(client);
    const badPort = await rejection(
      client.endpoints.create(sid, { address: '10.0.0.3', port: 70_000 }),
    );
    expect(isApiError(badPort) && [badPort.status, badPort.code]).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    expect(isApiError(badPort) && badPort.problem.errors?.map((e) => e.path)).toContain(
      '/body/port',
    );

    const notConnected = await rejection(client.endpoints.send(sid, 'e2', { data: 'x' }));
    expect(isApiError(notConnected) && notConnected.problem).toMatchObject({
      status: 409,
      code: 'ENOTCONN',
      state: 'CLOSED',
    });

    const anonymous = sdk({ baseUrl: url });
    const unauthorized = await rejection(anonymous.sessions.list());
    expect(isApiError(unauthorized) && [unauthorized.status, unauthorized.code]).toEqual([
      401,
      'UNAUTHORIZED',
    ]);
    const forbidden = await rejection(client.admin.tenants.list()); // an instructor's key
    expect(isApiError(forbidden) && [forbidden.status, forbidden.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('no answer at all is a NetworkError, not an ApiError', async () => {
    const { app, url } = await service();
    await app.close();
    const error = await rejection(sdk({ baseUrl: url }).health());
    expect(isApiError(error)).toBe(false);
    expect(isNetworkError(error) && error.message).toMatch(
      new RegExp(`^GET ${url}/healthz: no answer from the service`),
    );
  });
});

describe('tenants and keys through the SDK', () => {
  it("an admin makes a tenant with a limit and a key for it; the key meets the limit; revoked, it's refused", async () => {
    const { db, url } = await service();
    const admin = sdk({ baseUrl: url, apiKey: await newKey(db, 'ops', 'admin') });

    const tenant = await admin.admin.tenants.create({ id: 'net-101', limits: { maxSessions: 1 } });
    expect(tenant).toMatchObject({
      id: 'net-101',
      name: 'net-101',
      limits: { maxSessions: 1 },
      effectiveLimits: { maxSessions: 1, maxEndpoints: 64 },
      sessions: 0,
    });
    const again = await rejection(admin.admin.tenants.create({ id: 'net-101' }));
    expect(isApiError(again) && again.code).toBe('ALREADY_EXISTS');
    expect(await admin.admin.tenants.update('net-101', { name: 'Networks 101' })).toMatchObject({
      name: 'Networks 101',
      limits: { maxSessions: 1 },
    });
    expect((await admin.admin.tenants.list()).items.map((t) => t.id)).toEqual([
      'net-101',
      'ops',
      'uni-a',
    ]);

    const created = await admin.admin.keys.create({ tenantId: 'net-101', role: 'instructor' });
    expect(created).toMatchObject({
      tenantId: 'net-101',
      role: 'instructor',
      name: 'instructor key',
    });
    const instructor = sdk({ baseUrl: url, apiKey: created.secret });
    await instructor.sessions.create({ name: 'the one' });
    const full = await rejection(instructor.sessions.create({ name: 'one too many' }));
    expect(isApiError(full) && full.problem).toMatchObject({
      status: 409,
      code: 'LIMIT_REACHED',
      limit: 'maxSessions',
      value: 1,
    });
    expect((await admin.admin.tenants.get('net-101')).sessions).toBe(1);

    const keys = await admin.admin.keys.list({ tenantId: 'net-101' });
    expect(keys.items).toEqual([
      expect.objectContaining({ id: created.id, prefix: created.prefix }),
    ]);
    expect(keys.items[0]).not.toHaveProperty('secret');
    expect((await admin.admin.keys.list()).items.map((k) => k.tenantId).sort()).toEqual([
      'net-101',
      'ops',
      'uni-a',
    ]);
    expect(await admin.admin.keys.revoke(created.id)).toBeUndefined();
    const revoked = await rejection(instructor.sessions.list());
    expect(isApiError(revoked) && revoked.code).toBe('UNAUTHORIZED');
  });
});

/** A session with a 1 MB transfer under way between e2 and e1's accepted endpoint. */
async function transfer(client: TcplabClient, bytes = 1_000_000): Promise<string> {
  const { id } = await client.sessions.create({
    seed: 5,
    link: { delayMs: 5 },
    defaults: { sndBuffer: 2 * bytes, rcvBuffer: 2 * bytes },
  });
  await client.endpoints.create(id, SERVER);
  await client.endpoints.create(id, { address: '10.0.0.1', port: 49152 });
  await client.endpoints.listen(id, 'e1');
  await client.endpoints.connect(id, 'e2', { remote: SERVER });
  await client.endpoints.send(id, 'e2', { bytes });
  return id;
}

/** The whole stored trace, paged through the SDK. */
async function storedTrace(client: TcplabClient, sid: string): Promise<AnyTraceEvent[]> {
  const items: AnyTraceEvent[] = [];
  for (let after = 0; ;) {
    const page = await client.trace.events(sid, { after, limit: 1000 });
    if (page.items.length === 0) return items;
    items.push(...page.items);
    after = page.nextAfter;
  }
}

/** Reads `stream` in the background into `events` until it ends (or fails: `failure`). */
function consume(stream: TraceStream) {
  const events: AnyTraceEvent[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const event of stream) events.push(event);
    } catch (error) {
      failure = error;
    }
  })();
  return { events, done, failure: () => failure };
}

async function lastEventId(client: TcplabClient, sid: string): Promise<number> {
  return (await client.sessions.get(sid)).lastEventId;
}

const ids = (events: AnyTraceEvent[]) => events.map((e) => e.eventId);
const oneToN = (events: AnyTraceEvent[]) => events.map((_e, i) => i + 1);

async function socketsOn(app: App): Promise<number> {
  return (await app.io.fetchSockets()).length;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('watch()', () => {
  it('yields the stored trace, then live events while the clock moves: 1..N, no gap, no repeat', async () => {
    const { app, client } = await service();
    const sid = await transfer(client);
    await client.sessions.clock(sid, { action: 'advance', ms: 200 });

    const stream = client.watch(sid);
    const reader = consume(stream);
    for (let i = 0; i < 40; i++) await client.sessions.clock(sid, { action: 'advance', ms: 1 });
    const last = await lastEventId(client, sid);
    expect(last).toBeGreaterThan(1000);
    await until(() => reader.events.at(-1)?.eventId === last, `event ${last}`);
    expect(ids(reader.events)).toEqual(oneToN(reader.events));
    expect(reader.events).toEqual(await storedTrace(client, sid)); // live ones read as stored
    expect(stream.lastEventId).toBe(last);

    await stream.return();
    await reader.done;
    await eventually(async () => (await socketsOn(app)) === 0, 'the socket to close');
  });

  it('starts after `after`, and ending the loop unsubscribes and closes the socket', async () => {
    const { app, client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);
    const seen: number[] = [];
    for await (const event of client.watch(sid, { after: 10 })) {
      expect(await socketsOn(app)).toBe(1);
      seen.push(event.eventId);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([11, 12, 13]);
    await eventually(async () => (await socketsOn(app)) === 0, 'the socket to close');
  });

  it('resumes by itself after the service disconnects it and after the connection drops', async () => {
    const { app, client } = await service();
    const connections: string[] = [];
    app.io.on('connection', (socket) => connections.push(socket.id));
    const sid = await transfer(client);
    const stream = client.watch(sid);
    const reader = consume(stream);
    const caughtUp = async (what: string) => {
      const last = await lastEventId(client, sid);
      await until(() => reader.events.at(-1)?.eventId === last, what);
    };
    await client.sessions.clock(sid, { action: 'advance', ms: 20 });
    await caughtUp('the first events');

    app.io.disconnectSockets(true); // a server-side disconnect: socket.io would not come back
    await client.sessions.clock(sid, { action: 'advance', ms: 20 }); // meanwhile, more events
    await caughtUp('the events after the server-side disconnect');
    expect(connections).toHaveLength(2);

    for (const socket of app.io.sockets.sockets.values()) socket.conn.close(); // the Wi-Fi drops
    await client.sessions.clock(sid, { action: 'advance', ms: 20 });
    await caughtUp('the events after the dropped connection');
    expect(connections).toHaveLength(3);

    expect(ids(reader.events)).toEqual(oneToN(reader.events));
    expect(reader.failure()).toBeUndefined();
    await stream.return();
    await reader.done;
  });

  it('resumes after the service restarts, from the session rebuilt out of its command log', async () => {
    const { app, db, client, url } = await service();
    const sid = await transfer(client);
    const stream = client.watch(sid);
    const reader = consume(stream);
    await client.sessions.clock(sid, { action: 'advance', ms: 20 });
    const beforeRestart = await lastEventId(client, sid);
    await until(() => reader.events.at(-1)?.eventId === beforeRestart, 'the events before');

    await app.close();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few reconnects are refused
    const restarted = await buildApp({ database: db.database, migrations: db.migrations });
    cleanups.push(() => restarted.close());
    await restarted.listen({ host: '127.0.0.1', port: Number(new URL(url).port) });
    await client.sessions.clock(sid, { action: 'advance', ms: 20 });
    const last = await lastEventId(client, sid);
    expect(last).toBeGreaterThan(beforeRestart);
    await until(() => reader.events.at(-1)?.eventId === last, 'the events after the restart');
    expect(ids(reader.events)).toEqual(oneToN(reader.events));
    await stream.return();
    await reader.done;
  });

  it('keeps at most maxBufferedEvents (plus a batch) for a slow consumer: it lets go and resumes', async () => {
    const { app, client } = await service();
    const connections: string[] = [];
    app.io.on('connection', (socket) => connections.push(socket.id));
    const sid = await transfer(client);
    await client.sessions.clock(sid, { action: 'advance', ms: 200 });
    const last = await lastEventId(client, sid);
    expect(last).toBeGreaterThan(3500);

    const stream = client.watch(sid, { maxBufferedEvents: 500 });
    /** The consumer naps until the buffer is full: the SDK has let the connection go. */
    const nap = async () => {
      await until(() => stream.buffered > 500, 'the buffer to fill');
      await eventually(async () => (await socketsOn(app)) === 0, 'the SDK to let go');
      await new Promise((resolve) => setTimeout(resolve, 50)); // and nothing more comes in
      expect(stream.buffered).toBeLessThanOrEqual(1000); // 500, and the batch that went past it
    };

    const seen: number[] = [];
    let mostBuffered = 0;
    for await (const event of stream) {
      mostBuffered = Math.max(mostBuffered, stream.buffered);
      seen.push(event.eventId);
      if (event.eventId === last) break;
      if ([1, 1000, 2000, 3000].includes(event.eventId)) await nap();
    }
    expect(seen).toEqual(seen.map((_e, i) => i + 1));
    expect(seen).toHaveLength(last);
    expect(mostBuffered).toBeLessThanOrEqual(1000);
    // Once at the start, then after each nap: it came back each time the consumer caught up.
    expect(connections.length).toBeGreaterThanOrEqual(5);
  });

  it('with metrics coalesced: the same events but fewer metrics, in order, each once', async () => {
    const { client } = await service();
    const sid = await transfer(client);
    await client.sessions.clock(sid, { action: 'advance', ms: 100 });
    const stored = await storedTrace(client, sid);
    const reader = consume(client.watch(sid, { metricsEveryMs: 10 }));
    const nextMs = new Map<string, number>();
    const expected = stored.filter((e) => {
      if (e.kind !== 'metrics') return true;
      const endpoint = String(e.endpointId);
      if (e.timeMs < (nextMs.get(endpoint) ?? -1)) return false;
      nextMs.set(endpoint, e.timeMs + 10);
      return true;
    });
    expect(expected.length).toBeLessThan(stored.length);
    await until(() => reader.events.length === expected.length, 'the coalesced events');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reader.events).toEqual(expected);
  });

  it('refused: an unknown session throws NOT_FOUND, a bad token UNAUTHORIZED, and both close', async () => {
    const { app, client } = await service();
    const missing = await rejection(client.watch(UNKNOWN_SESSION).next());
    expect(isApiError(missing) && [missing.status, missing.code]).toEqual([404, 'NOT_FOUND']);
    const sid = await labSession(client);
    const stranger = await rejection(client.watch(sid, { token: 'tcplab_not-a-key' }).next());
    expect(isApiError(stranger) && [stranger.status, stranger.code]).toEqual([401, 'UNAUTHORIZED']);
    await eventually(async () => (await socketsOn(app)) === 0, 'no socket left');
  });

  it('an aborted signal ends the loop with its reason and closes the socket', async () => {
    const { app, client } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);
    const controller = new AbortController();
    const seen: number[] = [];
    const ended = await rejection(
      (async () => {
        for await (const event of client.watch(sid, { signal: controller.signal })) {
          seen.push(event.eventId);
          if (seen.length === 2) controller.abort();
        }
      })(),
    );
    expect(ended).toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1, 2]);
    await eventually(async () => (await socketsOn(app)) === 0, 'the socket to close');
  });
});

describe('viewer tokens through the SDK', () => {
  it('an instructor mints, lists and revokes one; a client with only the token watches', async () => {
    const { client, url } = await service();
    const sid = await labSession(client);
    await handshake(client, sid);

    const minted = await client.viewerTokens.create(sid, {
      name: 'room 2',
      expiresInSeconds: 7200,
    });
    expect(minted).toMatchObject({ sessionId: sid, name: 'room 2' });
    expect(Date.parse(minted.expiresAt) - Date.parse(minted.createdAt)).toBeCloseTo(7_200_000, -3);
    const listed = await client.viewerTokens.list(sid);
    expect(listed.items).toEqual([expect.objectContaining({ id: minted.id, name: 'room 2' })]);
    expect(listed.items[0]).not.toHaveProperty('token');

    const classroom = sdk({ baseUrl: url, watchToken: minted.token }); // no API key
    const stream = classroom.watch(sid);
    const reader = consume(stream);
    const last = await lastEventId(client, sid);
    await until(() => reader.events.at(-1)?.eventId === last, 'the trace for the viewer');
    expect(reader.events).toEqual(await storedTrace(client, sid));

    // Revoked, the token is cut off, and the watch ends with the refusal instead of retrying.
    expect(await client.viewerTokens.revoke(sid, minted.id)).toBeUndefined();
    await reader.done;
    const failure = reader.failure();
    expect(isApiError(failure) && failure.code).toBe('UNAUTHORIZED');
    expect((await client.viewerTokens.list(sid)).items[0]?.revokedAt).toEqual(expect.any(String));
  });
});

describe('the SDK surface', () => {
  it('reads the scenario library: every lesson listed, one served whole, an unknown one 404', async () => {
    const { client } = await service();
    const { items } = await client.scenarios.list();
    expect(items.map((s) => s.name)).toEqual(loadLibrary().map((e) => e.name));
    expect(items.find((s) => s.name === 'handshake')).toMatchObject({
      title: 'Three-way handshake',
      tags: ['connection setup', 'states'],
    });
    const handshake = await client.scenarios.get('handshake');
    expect(handshake).toEqual(loadLibrary().find((e) => e.name === 'handshake')?.scenario);
    const refused = await client.scenarios.get('no-such-lesson').catch((e: unknown) => e);
    expect(isApiError(refused) && [refused.status, refused.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('every method of the client was called by a test above', () => {
    const names = (group: object, prefix = ''): string[] =>
      Object.entries(group).flatMap(([name, value]) =>
        typeof value === 'function' ? [prefix + name] : names(value as object, `${prefix}${name}.`),
      );
    const all = names(createClient({ baseUrl: 'http://127.0.0.1' }));
    expect(all.length).toBeGreaterThanOrEqual(35);
    expect(all.filter((name) => !called.has(name))).toEqual([]);
  });
});
