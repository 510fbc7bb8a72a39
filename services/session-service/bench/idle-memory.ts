/**
 * An instance's memory with many sessions opened and then left idle, before and after idle
 * eviction. SESSIONS sessions (default 1,000), each a handshake and 20 kB of text sent,
 * arrived and not read yet (as a student leaves a lab), made through the REST routes (fastify inject); the
 * JavaScript heap and the memory outside it (buffers) measured after a full garbage collection
 * with every session in memory, then once the idle ones have left. Prints one JSON line per
 * phase. Run with --expose-gc. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { buildApp } from '../src/app.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { readMigrations, DEFAULT_MIGRATIONS_DIR } from '../src/store/migrations.js';
import { withDatabase } from './database.js';

const SESSIONS = Number(process.env.SESSIONS ?? 1000);
/** Longer than making the sessions takes, so that all are in memory for the first figure. */
const IDLE_MS = 60_000;
/** What each client sends: text, so that each session holds bytes of its own. */
const TEXT = 'tcplab '.repeat(2_860);

const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

/** The heap and the buffers outside it (MiB), after a full garbage collection. */
function memory(): { heap_mib: number; buffers_mib: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { heap_mib: mib(usage.heapUsed), buffers_mib: mib(usage.arrayBuffers) };
}

async function main(): Promise<void> {
  if ((globalThis as { gc?: () => void }).gc === undefined) {
    throw new Error('run with node --expose-gc');
  }
  await withDatabase(async (database) => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const app = await buildApp({
      database,
      migrations,
      auth: { mode: 'disabled' },
      runtime: {
        limits: { ...DEFAULT_LIMITS, maxSessions: SESSIONS },
        idleMs: IDLE_MS,
        sweepMs: 1_000,
      },
    });
    const post = async (url: string, payload?: object) => {
      const response = await app.inject({
        method: 'POST',
        url,
        ...(payload === undefined ? {} : { payload }),
      });
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.body}`);
      return response.json<{ id?: string }>();
    };
    const empty = memory();
    const started = performance.now();
    for (let i = 0; i < SESSIONS; i++) {
      const base = `/v1/sessions/${(await post('/v1/sessions', { seed: i + 1 })).id}`;
      await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80 });
      await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
      await post(`${base}/endpoints/e1/listen`);
      await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
      await post(`${base}/endpoints/e2/send`, { data: TEXT });
      await post(`${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });
    }
    const opened = performance.now() - started;
    const live = memory();
    console.log(
      JSON.stringify({
        benchmark: `memory with ${SESSIONS} sessions in memory`,
        in_memory: app.runtime.inMemory().live,
        ...live,
        before_any: empty,
        opened_s: Number((opened / 1000).toFixed(1)),
      }),
    );
    const waited = performance.now();
    // Listing touches them all: they leave IDLE_MS after it.
    const ids = (await app.inject({ method: 'GET', url: '/v1/sessions' }))
      .json<{ items: { id: string }[] }>()
      .items.map((s) => s.id);
    const inMemory = () => app.runtime.inMemory();
    while (inMemory().live > 0 || inMemory().leaving > 0) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const evicted = memory();
    console.log(
      JSON.stringify({
        benchmark: `memory once the ${SESSIONS} sessions were idle ${IDLE_MS / 1000} s and left`,
        ...evicted,
        freed_per_session_kib: Number(
          (
            ((live.heap_mib + live.buffers_mib - evicted.heap_mib - evicted.buffers_mib) * 1024) /
            SESSIONS
          ).toFixed(1),
        ),
        left_after_s: Number(((performance.now() - waited) / 1000).toFixed(1)),
      }),
    );
    // One comes back on its next request.
    const back = performance.now();
    const session = await app.inject({ method: 'GET', url: `/v1/sessions/${ids[0] ?? ''}` });
    console.log(
      JSON.stringify({
        benchmark: 'a session brought back by its next request',
        status: session.statusCode,
        ms: Number((performance.now() - back).toFixed(1)),
      }),
    );
    await app.close();
  });
}

await main();
