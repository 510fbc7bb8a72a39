/**
 * Another tenant's reads while one tenant runs the heaviest commands its limits allow.
 *
 * Tenant "heavy" runs HEAVY_WORKERS loops at once, each: a new session, a 30 MB transfer into a
 * receiver with room for it (the most maxSessionBufferedBytes lets one session hold), the clock
 * run until idle (up to maxEventsPerRequest events in one request), the session deleted.
 * Tenant "light" meanwhile reads one endpoint (GET .../endpoints/e2) every 20 ms. Both with API
 * keys, the service's own rate limits, load shedding and default tenant limits, over a real
 * port. Prints one JSON line per phase: the light tenant's p50/p99/max latency and its
 * non-200 answers, alone and under the heavy load, side by side, and how long the event loop's
 * turns took under the load.
 * Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { ensureKey, generateKey } from '../src/auth/keys.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { SERVICE_PROTECTION } from '../src/plugins/protection.js';
import { readMigrations, DEFAULT_MIGRATIONS_DIR } from '../src/store/migrations.js';
import { withDatabase } from './database.js';

const PHASE_MS = Number(process.env.PHASE_MS ?? 15_000);
const READ_EVERY_MS = 20;
const HEAVY_WORKERS = 4;
const TRANSFER_BYTES = 30_000_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  await withDatabase(async (database) => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const heavyKey = generateKey();
    const lightKey = generateKey();
    for (const [key, tenantId] of [
      [heavyKey, 'heavy'],
      [lightKey, 'light'],
    ] as const) {
      await ensureKey(database.prisma, { key, tenantId, role: 'instructor', name: tenantId });
    }
    const app = await buildApp({
      database,
      migrations,
      runtime: { limits: DEFAULT_LIMITS },
      protection: SERVICE_PROTECTION,
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const request = async (key: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${address}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as never) };
    };
    const transferSession = async (key: string, bytes: number) => {
      const created = await request(key, 'POST', '/v1/sessions', {
        seed: 1,
        defaults: { sndBuffer: 32_000_000, rcvBuffer: 32_000_000 },
      });
      const base = `/v1/sessions/${(created.json as { id: string }).id}`;
      await request(key, 'POST', `${base}/endpoints`, { address: '10.0.0.2', port: 80 });
      await request(key, 'POST', `${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
      await request(key, 'POST', `${base}/endpoints/e1/listen`);
      await request(key, 'POST', `${base}/endpoints/e2/connect`, {
        remote: { address: '10.0.0.2', port: 80 },
      });
      if (bytes > 0) await request(key, 'POST', `${base}/endpoints/e2/send`, { bytes });
      return base;
    };

    const light = await transferSession(lightKey, 0);
    await request(lightKey, 'POST', `${light}/clock`, {
      action: 'run',
      untilIdle: true,
      maxMs: 1000,
    });

    const readFor = async (ms: number) => {
      const latencies: number[] = [];
      let refused = 0;
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const started = performance.now();
        const answer = await request(lightKey, 'GET', `${light}/endpoints/e2`);
        latencies.push(performance.now() - started);
        if (answer.status !== 200) refused += 1;
        const left = READ_EVERY_MS - (performance.now() - started);
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      }
      latencies.sort((a, b) => a - b);
      return {
        reads: latencies.length,
        p50_ms: Number(quantile(latencies, 0.5).toFixed(1)),
        p99_ms: Number(quantile(latencies, 0.99).toFixed(1)),
        max_ms: Number((latencies.at(-1) ?? Number.NaN).toFixed(1)),
        non_200: refused,
      };
    };

    console.log(
      JSON.stringify({ benchmark: 'fairness: light tenant alone', ...(await readFor(5_000)) }),
    );

    let stop = false;
    let moves = 0;
    let events = 0;
    const heavyStatuses = new Map<number, number>();
    const heavy = async () => {
      while (!stop) {
        const base = await transferSession(heavyKey, TRANSFER_BYTES);
        const moved = await request(heavyKey, 'POST', `${base}/clock`, {
          action: 'run',
          untilIdle: true,
          maxMs: 600_000,
        });
        heavyStatuses.set(moved.status, (heavyStatuses.get(moved.status) ?? 0) + 1);
        moves += 1;
        events += (moved.json as { events?: number }).events ?? 0;
        await request(heavyKey, 'DELETE', base);
      }
    };
    const workers = Array.from({ length: HEAVY_WORKERS }, heavy);
    // Let the first moves get under way before measuring.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // How long the event loop's turns took meanwhile (a timer's lateness): what a request
    // waits for at each turn it needs.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const loaded = await readFor(PHASE_MS);
    loop.disable();
    stop = true;
    await Promise.all(workers);
    console.log(
      JSON.stringify({
        benchmark: `fairness: light tenant while "heavy" runs ${HEAVY_WORKERS} loops of 30 MB transfers`,
        ...loaded,
        loop_delay_p50_ms: Number((loop.percentile(50) / 1e6).toFixed(1)),
        loop_delay_p99_ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
        heavy_moves: moves,
        heavy_events: events,
        heavy_statuses: Object.fromEntries(heavyStatuses),
      }),
    );
    await app.close();
  });
}

await main();
