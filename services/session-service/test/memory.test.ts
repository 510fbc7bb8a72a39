// A tenant at every limit stays under its budget: it makes all the sessions, endpoints (with
// 1 GiB buffers asked for), fault rules and bytes its limits let it, sends until refused and
// moves the clocks, and the bytes the service holds for it stay within what the limits promise.
import type { Limits } from '@tcplab/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { call, migratedApp } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MiB = 1024 * 1024;
const limits: Limits = {
  ...DEFAULT_LIMITS,
  maxSessions: 3,
  maxEndpoints: 4,
  maxFaultRules: 5,
  maxSessionBufferedBytes: 8 * MiB,
  maxBufferedBytes: 14 * MiB,
};

describe('memory', () => {
  it('a tenant at every limit holds no more than its byte limits promise', async () => {
    const { app } = await migratedApp(cleanups, {
      auth: { mode: 'disabled' },
      runtime: { limits },
    });
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    const sessions: string[] = [];
    const refusedBy = new Set<unknown>();
    for (;;) {
      const created = await call(app, 'POST', '/v1/sessions', {
        seed: sessions.length + 1,
        defaults: { sndBuffer: 1 << 30, rcvBuffer: 1 << 30 },
      });
      if (created.status !== 201) {
        expect(created.body).toMatchObject({ limit: 'maxSessions' });
        break;
      }
      const sid = created.body?.['id'] as string;
      const base = `/v1/sessions/${sid}`;
      sessions.push(sid);
      await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
      await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
      await call(app, 'POST', `${base}/endpoints`, { address: '10.0.0.3', port: 49153 });
      await call(app, 'POST', `${base}/endpoints/e1/listen`);
      for (const client of ['e2', 'e3']) {
        const remote = { address: '10.0.0.2', port: 80 };
        await call(app, 'POST', `${base}/endpoints/${client}/connect`, { remote });
      }
      await call(app, 'POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
      for (let rule = 0; rule < 10; rule++) {
        await call(app, 'POST', `${base}/faults`, { match: { flags: 'F.' }, action: 'drop' });
      }
      expect(((await call(app, 'GET', `${base}/faults`)).body?.['items'] as unknown[]).length).toBe(
        5,
      );
      // A gigabyte at once is refused whole; then 3 MiB at a time until refused, moving the
      // clock between sends so that data changes hands.
      const gigabyte = await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes: 1 << 30 });
      expect(gigabyte.body).toMatchObject({ limit: 'maxSessionBufferedBytes' });
      for (let round = 0; round < 8; round++) {
        for (const client of ['e2', 'e3']) {
          const sent = await call(app, 'POST', `${base}/endpoints/${client}/send`, {
            bytes: 3 * MiB,
          });
          if (sent.status === 409) refusedBy.add(sent.body?.['limit']);
        }
        await call(app, 'POST', `${base}/clock`, { action: 'advance', ms: 200 });
      }
    }
    expect(sessions).toHaveLength(3);
    // Both byte limits were met: the session's first, the tenant's once sessions added up.
    expect([...refusedBy].sort()).toEqual(['maxBufferedBytes', 'maxSessionBufferedBytes']);

    let tenantHeld = 0;
    for (const sid of sessions) {
      const held = (await app.runtime.get('local', sid)).sim.heldBytes();
      expect(held).toBeLessThanOrEqual(2 * limits.maxSessionBufferedBytes);
      tenantHeld += held;
    }
    expect(tenantHeld).toBeGreaterThan(limits.maxSessionBufferedBytes);
    expect(tenantHeld).toBeLessThanOrEqual(2 * limits.maxBufferedBytes);
    // What the process allocated for it: the bytes held (twice the limit at most) plus the
    // shared a-z pattern the sends are views of (as long as the longest send, under 8 MiB).
    const grown = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
    expect(grown).toBeLessThan(2 * limits.maxBufferedBytes + 16 * MiB);
  });
});
