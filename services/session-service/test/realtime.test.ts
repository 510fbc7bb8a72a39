// The realtime contract over a real port with a real socket.io client: the stored trace, then
// live events, with no gap or repeat at the switch (events produced during the replay
// included); resuming with `after`; keys and tenants; unsubscribe.
import type { Cutoff, SubscriptionAck } from '@tcplab/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKey } from '../src/auth/keys.js';
import { call, migratedApp, newKey } from './apps.js';
import {
  collect,
  connect as connectClient,
  type Client,
  listening,
  storedTrace,
  subscribe,
  transfer,
  until,
} from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connect(url: string, token?: string) {
  return connectClient(cleanups, url, token);
}

/** The client's TCP socket, to stop and start reading it (Node's ws client underneath). */
function pausable(socket: Client) {
  return (
    socket.io.engine.transport as unknown as {
      ws: { _socket: { pause(): void; resume(): void } };
    }
  ).ws._socket;
}

describe('realtime streams', () => {
  it('sends the stored trace, then live events, with no gap or repeat at the switch', async () => {
    const { app, db } = await migratedApp(cleanups);
    const key = await newKey(db, 'uni-a', 'instructor');
    const headers = { authorization: `Bearer ${key}` };
    const url = await listening(app);
    const { sid, base } = await transfer(app, headers);
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 200 }, headers);

    const socket = await connect(url, key);
    const received = collect(socket, sid);
    // The clock keeps moving while the subscription replays.
    const driving = (async () => {
      for (let i = 0; i < 40; i++) {
        await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 1 }, headers);
      }
    })();
    const ack = await subscribe(socket, { sessionId: sid });
    expect(ack).toMatchObject({ ok: true, sessionId: sid });
    await driving;
    const last = (await call(app, 'GET', base, undefined, headers)).body?.lastEventId as number;
    expect(last).toBeGreaterThan(1000);
    await until(() => received.at(-1)?.eventId === last, `event ${last}`);

    expect(received.map((e) => e.eventId)).toEqual(received.map((_e, i) => i + 1));
    // Live events read exactly as their stored copies.
    expect(received).toEqual(await storedTrace(app, base, headers));
  });

  it('a client subscribing during a long clock move gets its events from the stored trace, once', async () => {
    // With nobody watching when it starts, the move's events are made into rows as they come
    // and never published live: the new stream's replay waits for the move and reads them.
    const { app, db } = await migratedApp(cleanups);
    const key = await newKey(db, 'uni-a', 'instructor');
    const headers = { authorization: `Bearer ${key}` };
    const url = await listening(app);
    const { sid, base } = await transfer(app, headers, 5_000_000);
    const socket = await connect(url, key);
    const received = collect(socket, sid);
    let moved = false;
    const move = call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 3000 }, headers).then(
      (answer) => {
        moved = true;
        return answer;
      },
    );
    await until(() => app.runtime.movesOf('uni-a').running === 1, 'the move under way');
    const ack = await subscribe(socket, { sessionId: sid });
    expect(ack).toMatchObject({ ok: true });
    expect(moved).toBe(false);
    expect((await move).body?.events).toBeGreaterThan(10_000);
    // And live from then on.
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 5 }, headers);
    const last = (await call(app, 'GET', base, undefined, headers)).body?.lastEventId as number;
    await until(() => received.at(-1)?.eventId === last, `event ${last}`);
    expect(received.map((e) => e.eventId)).toEqual(received.map((_e, i) => i + 1));
    expect(received).toEqual(await storedTrace(app, base, headers));
  });

  it('resumes after a dropped connection from the last event it had', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {});
    const first = await connect(url);
    const before = collect(first, sid);
    await subscribe(first, { sessionId: sid });
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 20 });
    const lastBefore = (await call(app, 'GET', base)).body?.lastEventId as number;
    await until(() => before.at(-1)?.eventId === lastBefore, 'the events before the drop');
    first.io.engine.close(); // the Wi-Fi drops

    // Meanwhile the session goes on.
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 20 });
    const second = await connect(url);
    const after = collect(second, sid);
    const ack = await subscribe(second, { sessionId: sid, after: lastBefore });
    expect(ack).toMatchObject({ ok: true });
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 20 });
    const last = (await call(app, 'GET', base)).body?.lastEventId as number;
    await until(() => after.at(-1)?.eventId === last, 'the events after the drop');
    const all = [...before, ...after].map((e) => e.eventId);
    expect(all).toEqual(all.map((_e, i) => i + 1));
  });

  it('cuts off a client that falls too far behind, which then resumes where the cut left it', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {}, 60_000_000);

    const slow = await connect(url);
    const got = collect(slow, sid);
    const cutoffs: Cutoff[] = [];
    slow.on('cutoff', (cutoff) => cutoffs.push(cutoff));
    await subscribe(slow, { sessionId: sid });
    // The client stops reading its connection (a laptop asleep, a frozen tab).
    const wire = pausable(slow);
    wire.pause();
    let last = 0;
    for (let i = 0; i < 60 && last < 120_000; i++) {
      await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 50 });
      last = (await call(app, 'GET', base)).body?.lastEventId as number;
    }
    // Kernel buffers hold some 30,000 events, the outbox 50,000 more: this is well past both.
    expect(last).toBeGreaterThanOrEqual(120_000);
    wire.resume();
    await until(() => slow.disconnected, 'the cut');
    expect(cutoffs).toEqual([
      expect.objectContaining({ sessionId: sid, lastEventId: got.at(-1)?.eventId }),
    ]);
    expect(got.length).toBeLessThan(last);
    expect(got.map((e) => e.eventId)).toEqual(got.map((_e, i) => i + 1));

    const again = await connect(url);
    const rest = collect(again, sid);
    await subscribe(again, { sessionId: sid, after: cutoffs[0]?.lastEventId ?? 0 });
    await until(() => rest.at(-1)?.eventId === last, 'the rest of the trace', 30_000);
    const all = [...got, ...rest].map((e) => e.eventId);
    expect(all).toEqual(all.map((_e, i) => i + 1));
  }, 60_000);

  it('subscribing again to the same session resumes from the new after, once', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {});
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 50 });
    const last = (await call(app, 'GET', base)).body?.lastEventId as number;
    const socket = await connect(url);
    const received = collect(socket, sid);
    await subscribe(socket, { sessionId: sid });
    await subscribe(socket, { sessionId: sid, after: last - 10 });
    // What the first subscription had sent arrived before the second one's answer; after it,
    // exactly the last ten events, once.
    const mark = received.length;
    await until(() => received.at(-1)?.eventId === last && received.length > mark, 'the tail');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const tail = received.slice(mark).map((e) => e.eventId);
    expect(tail).toEqual([...Array(10).keys()].map((i) => last - 9 + i));
  });

  it('subscribing again drops what still waited for the old stream of a stalled client', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {}, 60_000_000);
    const socket = await connect(url);
    // Arrival order of events and of the second subscription's answer (as a marker, -1).
    const arrivals: number[] = [];
    socket.on('events', (batch) => arrivals.push(...batch.events.map((e) => e.eventId)));
    await subscribe(socket, { sessionId: sid });
    const wire = pausable(socket);
    wire.pause(); // the client stops reading: the service queues for it
    let last = 0;
    for (let i = 0; i < 10 && last < 40_000; i++) {
      await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 20 });
      last = (await call(app, 'GET', base)).body?.lastEventId as number;
    }
    expect(last).toBeGreaterThanOrEqual(40_000); // more than the socket buffers, less than a cut
    const answered = new Promise((resolve) =>
      socket.emit('subscribe', { sessionId: sid, after: last - 10 }, (ack) => {
        arrivals.push(-1);
        resolve(ack);
      }),
    );
    wire.resume();
    expect(await answered).toMatchObject({ ok: true });
    await until(() => arrivals.at(-1) === last, 'the tail');
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Before the answer: a prefix of the old stream; after it, exactly the last ten events.
    const mark = arrivals.indexOf(-1);
    const before = arrivals.slice(0, mark);
    expect(before).toEqual(before.map((_e, i) => i + 1));
    expect(before.length).toBeLessThan(last - 10);
    expect(arrivals.slice(mark + 1)).toEqual([...Array(10).keys()].map((i) => last - 9 + i));
  }, 60_000);

  it('coalesces metrics for a client that asks, and nothing else', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {});
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 100 });
    const everything = await connect(url);
    const plotting = await connect(url);
    const all = collect(everything, sid);
    const coalesced = collect(plotting, sid);
    await subscribe(everything, { sessionId: sid });
    expect(await subscribe(plotting, { sessionId: sid, metricsEveryMs: 10 })).toMatchObject({
      ok: true,
      metricsEveryMs: 10,
    });
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 100 });
    const last = (await call(app, 'GET', base)).body?.lastEventId as number;
    await until(() => all.at(-1)?.eventId === last, 'every event');

    // Expected: every event but metrics; of each endpoint's metrics, the first of each 10 ms.
    const nextMs = new Map<string, number>();
    const expected = all.filter((e) => {
      if (e.kind !== 'metrics') return true;
      const endpoint = String(e.endpointId);
      if (e.timeMs < (nextMs.get(endpoint) ?? -1)) return false;
      nextMs.set(endpoint, e.timeMs + 10);
      return true;
    });
    await until(() => coalesced.length === expected.length, 'the coalesced events');
    expect(coalesced).toEqual(expected);
    const metrics = (events: typeof all) => events.filter((e) => e.kind === 'metrics').length;
    expect(metrics(coalesced)).toBeLessThan(metrics(all) / 5);
    expect(all.filter((e) => e.kind === 'segment').length).toBeGreaterThan(100);
  });

  it('stops sending once unsubscribed', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const { sid, base } = await transfer(app, {});
    const socket = await connect(url);
    const received = collect(socket, sid);
    await subscribe(socket, { sessionId: sid });
    await until(() => received.length > 0, 'the stored events');
    const unsubscribed = await new Promise<SubscriptionAck>((resolve) =>
      socket.emit('unsubscribe', { sessionId: sid }, resolve),
    );
    expect(unsubscribed).toEqual({
      ok: true,
      sessionId: sid,
      lastEventId: received.at(-1)?.eventId,
    });
    const count = received.length;
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.length).toBe(count);
  });
});

describe('realtime limits', () => {
  it('a connection follows 16 sessions at most, even when it asks for 17 at once', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const url = await listening(app);
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) {
      ids.push(String((await call(app, 'POST', '/v1/sessions', {})).body?.id));
    }
    const socket = await connect(url);
    const answers = await Promise.all(ids.map((sessionId) => subscribe(socket, { sessionId })));
    expect(answers.filter((a) => a.ok)).toHaveLength(16);
    expect(answers.filter((a) => !a.ok)).toEqual([
      {
        ok: false,
        code: 'LIMIT_REACHED',
        message: 'a connection follows at most 16 sessions',
      },
    ]);
  });
});

describe('realtime auth', () => {
  it('refuses a connection without a key or with an unknown one', async () => {
    const { app } = await migratedApp(cleanups);
    const url = await listening(app);
    await expect(connect(url)).rejects.toMatchObject({
      message: 'connect with auth: { token: <API key or viewer token> }',
      data: { code: 'UNAUTHORIZED' },
    });
    await expect(connect(url, 'tcplab_not-a-key')).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it("counts refused connections in their address's failure budget, the REST requests' too", async () => {
    const { app, db } = await migratedApp(cleanups, {
      protection: { failedAuthPerMinute: 2 },
      trustedProxies: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
    });
    const url = await listening(app);
    const good = await newKey(db, 'uni-a', 'viewer');
    const from = (address: string, token?: string) =>
      connectClient(cleanups, url, token, { 'x-forwarded-for': address });
    await expect(from('192.0.2.50', generateKey())).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
    await expect(from('192.0.2.50')).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    // The budget is spent: refused before any look-up, even with a good key.
    const refused = (await from('192.0.2.50', good).catch((error: unknown) => error)) as Error & {
      data?: { code?: string };
    };
    expect(refused.data?.code).toBe('RATE_LIMITED');
    expect(refused.message).toMatch(/^more than 2 attempts without a valid key .* retry in \d+ s$/);
    const rest = await app.inject({
      method: 'GET',
      url: '/v1/sessions',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '192.0.2.50', authorization: `Bearer ${good}` },
    });
    expect(rest.statusCode).toBe(429);
    // Another client address has its own budget.
    expect((await from('192.0.2.51', good)).connected).toBe(true);
  });

  it("a key sees its tenant's sessions only; bad requests are answered, not ignored", async () => {
    const { app, db } = await migratedApp(cleanups);
    const url = await listening(app);
    const a = await newKey(db, 'uni-a', 'instructor');
    const b = await newKey(db, 'uni-b', 'viewer');
    const { sid } = await transfer(app, { authorization: `Bearer ${a}` });
    const stranger = await connect(url, b);
    expect(await subscribe(stranger, { sessionId: sid })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await subscribe(stranger, { sessionId: 'not-a-uuid' })).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
    // A viewer of the right tenant may watch.
    const viewer = await connect(url, await newKey(db, 'uni-a', 'viewer'));
    expect(await subscribe(viewer, { sessionId: sid })).toMatchObject({ ok: true });
  });
});
