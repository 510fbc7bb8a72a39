// Crash recovery as an operator would meet it: a real service process, killed with SIGKILL in
// the middle of a transfer, started again on the same database. The session must be exactly
// where it was, and continuing it must give the trace of a session that was never killed.
import { afterEach, describe, expect, it } from 'vitest';
import { createMigratedDatabase } from './databases.js';
import { client, startInstance, type Api } from './instances.js';
import { killLeftovers, type Child } from './processes.js';

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  killLeftovers(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startService(databaseUrl: string): Promise<string> {
  return (await startInstance(children, databaseUrl)).url;
}

/** A lossy transfer of 60,000 bytes, stopped 150 ms in: mid-transfer, with losses behind it. */
async function midTransfer(api: Api): Promise<string> {
  const session = await api('POST', '/v1/sessions', {
    seed: 5,
    link: { delayMs: 10, lossRate: 0.05 },
  });
  const base = `/v1/sessions/${String(session?.id)}`;
  await api('POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
  await api('POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
  await api('POST', `${base}/endpoints/e1/listen`);
  await api('POST', `${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
  await api('POST', `${base}/endpoints/e2/send`, { bytes: 60_000 });
  await api('POST', `${base}/clock`, { action: 'advance', ms: 150 });
  return base;
}

/** Runs the rest of the transfer and reads it all; answers the whole segment list. */
async function finish(api: Api, base: string) {
  await api('POST', `${base}/clock`, { action: 'run', untilIdle: true, maxMs: 120_000 });
  const read = await api('POST', `${base}/endpoints/e3/receive`, {});
  return { bytes: read?.bytes, segments: await allSegments(api, base) };
}

async function allSegments(api: Api, base: string): Promise<unknown[]> {
  const items: unknown[] = [];
  for (let after = 0; ;) {
    const page = await api('GET', `${base}/segments?after=${after}&limit=1000`);
    const got = page?.items as unknown[];
    items.push(...got);
    if (got.length === 0) return items;
    after = page?.nextAfter as number;
  }
}

describe('after SIGKILL', () => {
  it('a session is exactly where it was, and continues to the trace of one never killed', async () => {
    const db = await createMigratedDatabase();
    cleanups.push(() => db.dispose());
    const first = client(await startService(db.url));
    const base = await midTransfer(first);
    const endpointsBefore = await first('GET', `${base}/endpoints`);
    const segmentsBefore = await allSegments(first, base);
    const sessionBefore = await first('GET', base);
    expect((endpointsBefore?.items as { state: string }[]).map((e) => e.state)).toEqual([
      'LISTEN',
      'ESTABLISHED',
      'ESTABLISHED',
    ]);
    expect(segmentsBefore.length).toBeGreaterThan(20);

    const victim = children[0];
    victim?.process.kill('SIGKILL');
    expect(await victim?.exited()).toBe(null);

    const second = client(await startService(db.url));
    expect(await second('GET', `${base}/endpoints`)).toEqual(endpointsBefore);
    expect(await allSegments(second, base)).toEqual(segmentsBefore);
    expect(await second('GET', base)).toEqual(sessionBefore);

    const recovered = await finish(second, base);
    const control = await finish(second, await midTransfer(second));
    expect(recovered.bytes).toBe(60_000);
    expect(recovered.segments).toEqual(control.segments);
  }, 120_000);
});
