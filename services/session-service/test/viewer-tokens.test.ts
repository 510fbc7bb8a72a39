// Viewer tokens, the classroom link: minted, listed and revoked over REST; over socket.io a
// token watches its one session and nothing else, until it expires or is revoked.
import { afterEach, describe, expect, it } from 'vitest';
import { call, migratedApp, newKey } from './apps.js';
import {
  collect,
  connect as connectClient,
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

async function instructorApp() {
  const { app, db } = await migratedApp(cleanups);
  const key = await newKey(db, 'uni-a', 'instructor');
  const headers = { authorization: `Bearer ${key}` };
  return { app, db, headers };
}

describe('viewer tokens over REST', () => {
  it('mints a token shown once, lists it without the secret, and revokes it', async () => {
    const { app, headers } = await instructorApp();
    const { sid, base } = await transfer(app, headers);
    const before = Date.now();

    const minted = await call(
      app,
      'POST',
      `${base}/viewer-tokens`,
      { name: 'room 2', expiresInSeconds: 7200 },
      headers,
    );
    expect(minted.status).toBe(201);
    expect(minted.body).toMatchObject({ sessionId: sid, name: 'room 2' });
    expect(minted.body?.token).toMatch(/^tcplab_view_[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(String(minted.body?.expiresAt));
    expect(expiresAt - before).toBeGreaterThanOrEqual(7_200_000 - 1000);
    expect(expiresAt - before).toBeLessThanOrEqual(7_200_000 + 5000);
    const defaulted = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);
    expect(defaulted.body?.name).toBe('viewer');
    const day = Date.parse(String(defaulted.body?.expiresAt)) - before;
    expect(day).toBeGreaterThanOrEqual(86_400_000 - 1000);

    const listed = await call(app, 'GET', `${base}/viewer-tokens`, undefined, headers);
    expect(listed.status).toBe(200);
    const shown = { ...minted.body };
    delete shown.token;
    expect((listed.body?.items as unknown[])[0]).toEqual(shown);
    expect(JSON.stringify(listed.body)).not.toContain(String(minted.body?.token));

    const id = String(minted.body?.id);
    const revoked = await call(app, 'DELETE', `${base}/viewer-tokens/${id}`, undefined, headers);
    expect(revoked.status).toBe(204);
    const after = await call(app, 'GET', `${base}/viewer-tokens`, undefined, headers);
    expect((after.body?.items as { revokedAt?: string }[])[0]?.revokedAt).toEqual(
      expect.any(String),
    );
  });

  it('answers 404 for another tenant, 403 for a viewer key, 400 for a bad lifetime', async () => {
    const { app, db, headers } = await instructorApp();
    const { base } = await transfer(app, headers);
    const stranger = { authorization: `Bearer ${await newKey(db, 'uni-b', 'instructor')}` };
    const viewerKey = { authorization: `Bearer ${await newKey(db, 'uni-a', 'viewer')}` };

    expect(await call(app, 'POST', `${base}/viewer-tokens`, {}, stranger)).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    expect(await call(app, 'POST', `${base}/viewer-tokens`, {}, viewerKey)).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    const short = await call(
      app,
      'POST',
      `${base}/viewer-tokens`,
      { expiresInSeconds: 5 },
      headers,
    );
    expect(short).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(short.body)).toContain('expiresInSeconds');
    const unknown = await call(
      app,
      'DELETE',
      `${base}/viewer-tokens/00000000-0000-4000-8000-000000000000`,
      undefined,
      headers,
    );
    expect(unknown).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('reads its one session over REST, as the viewer mode does, and nothing else', async () => {
    const { app, headers } = await instructorApp();
    const { base } = await transfer(app, headers);
    const other = await transfer(app, headers);
    const minted = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);
    const asViewer = { authorization: `Bearer ${String(minted.body?.token)}` };
    for (const path of [
      '',
      '/endpoints',
      '/endpoints/e2',
      '/segments?limit=5',
      '/events?kind=state',
    ]) {
      expect((await call(app, 'GET', `${base}${path}`, undefined, asViewer)).status, path).toBe(
        200,
      );
    }
    expect((await call(app, 'GET', `${base}/endpoints`, undefined, asViewer)).body).toEqual(
      (await call(app, 'GET', `${base}/endpoints`, undefined, headers)).body,
    );
    const refused = [
      await call(app, 'GET', other.base, undefined, asViewer),
      await call(app, 'GET', `${base}/viewer-tokens`, undefined, asViewer),
      await call(app, 'GET', '/v1/sessions', undefined, asViewer),
      await call(app, 'POST', `${base}/clock`, { action: 'step' }, asViewer),
    ];
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect(answer.body?.detail).toContain('reads session');
    }
    await call(
      app,
      'DELETE',
      `${base}/viewer-tokens/${String(minted.body?.id)}`,
      undefined,
      headers,
    );
    expect(await call(app, 'GET', base, undefined, asViewer)).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHORIZED', detail: 'the viewer token is revoked' },
    });
  });
});

describe('viewer tokens over socket.io', () => {
  it('watch their one session, stored then live, and nothing else', async () => {
    const { app, headers } = await instructorApp();
    const url = await listening(app);
    const { sid, base } = await transfer(app, headers);
    const other = await transfer(app, headers);
    const minted = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);

    const viewer = await connect(url, String(minted.body?.token));
    const received = collect(viewer, sid);
    expect(await subscribe(viewer, { sessionId: sid })).toMatchObject({ ok: true });
    await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 30 }, headers);
    const last = (await call(app, 'GET', base, undefined, headers)).body?.lastEventId as number;
    await until(() => received.at(-1)?.eventId === last, `event ${last}`);
    expect(received).toEqual(await storedTrace(app, base, headers));

    expect(await subscribe(viewer, { sessionId: other.sid })).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      message: `this viewer token watches session ${sid} only`,
    });
  });

  it('is refused once expired, and a connection made with it ends at the expiry', async () => {
    const { app, db, headers } = await instructorApp();
    const url = await listening(app);
    const { sid, base } = await transfer(app, headers);
    const minted = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);
    const token = String(minted.body?.token);
    const expire = (at: Date) =>
      db.database.prisma.viewerToken.update({
        where: { id: String(minted.body?.id) },
        data: { expiresAt: at },
      });

    // The token has 400 ms left when the viewer connects: the connection ends then.
    await expire(new Date(Date.now() + 400));
    const viewer = await connect(url, token);
    expect(await subscribe(viewer, { sessionId: sid })).toMatchObject({ ok: true });
    let reason = '';
    viewer.on('disconnect', (why) => (reason = why));
    await until(() => viewer.disconnected, 'the end of the connection', 5000);
    expect(reason).toBe('io server disconnect');

    const past = new Date(Date.now() - 1000);
    await expire(past);
    await expect(connect(url, token)).rejects.toMatchObject({
      message: `the viewer token expired at ${past.toISOString()}`,
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it('revoking a token disconnects its viewers, who cannot come back with it', async () => {
    const { app, headers } = await instructorApp();
    const url = await listening(app);
    const { sid, base } = await transfer(app, headers);
    const minted = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);
    const kept = await call(app, 'POST', `${base}/viewer-tokens`, {}, headers);
    const token = String(minted.body?.token);
    const viewer = await connect(url, token);
    const bystander = await connect(url, String(kept.body?.token));
    expect(await subscribe(viewer, { sessionId: sid })).toMatchObject({ ok: true });

    const id = String(minted.body?.id);
    await call(app, 'DELETE', `${base}/viewer-tokens/${id}`, undefined, headers);
    await until(() => viewer.disconnected, 'the revoked viewer to be disconnected');
    expect(bystander.connected).toBe(true);
    await expect(connect(url, token)).rejects.toMatchObject({
      message: 'the viewer token was revoked',
      data: { code: 'UNAUTHORIZED' },
    });
  });
});
