/**
 * The session service's persistence, measured (`npm run bench` in services/session-service):
 *   - trace events written per second while a bulk transfer runs through the REST API;
 *   - the time to rebuild a session of 1,000,000 trace events from its log (a restart).
 * Uses DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder. Prints one
 * JSON line per measurement.
 */
import { buildApp, type App } from '../src/app.js';
import type { Database } from '../src/store/database.js';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from '../src/store/migrations.js';
import { withDatabase } from './database.js';

async function newApp(database: Database): Promise<App> {
  const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
  return buildApp({ database, migrations, auth: { mode: 'disabled' } });
}

/** A session with a client sending to a server over 100 Mb/s, 10 ms; answers its path. */
async function bulkSession(app: App): Promise<string> {
  const post = async (url: string, payload?: Record<string, unknown>) => {
    const response = await app.inject({ method: 'POST', url, ...(payload && { payload }) });
    if (response.statusCode >= 400) throw new Error(`${url}: ${response.body}`);
    return response.json<Record<string, unknown>>();
  };
  const session = await post('/v1/sessions', {
    seed: 1,
    link: { delayMs: 10, rateMbps: 100, queuePackets: 100 },
    defaults: { sndBuffer: 1 << 22, rcvBuffer: 1 << 22, sack: true, timestamps: true },
  });
  const base = `/v1/sessions/${String(session.id)}`;
  await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80 });
  await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
  await post(`${base}/endpoints/e1/listen`);
  await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
  return base;
}

/**
 * Sends `rounds` x 4 MB, moving the clock and reading after each; answers the events produced
 * and the wall time until all of them were in the database.
 */
async function transfer(app: App, base: string, rounds: number) {
  let events = 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    await app.inject({
      method: 'POST',
      url: `${base}/endpoints/e2/send`,
      payload: { bytes: 1 << 22 },
    });
    const clock = await app.inject({
      method: 'POST',
      url: `${base}/clock`,
      payload: { action: 'advance', ms: 400 },
    });
    events += clock.json<{ events: number }>().events;
    await app.inject({
      method: 'POST',
      url: `${base}/endpoints/e3/receive`,
      payload: { max: 1 << 20 },
    });
  }
  // A trace read answers once every event before it is stored: the clock stops there.
  await app.inject({ method: 'GET', url: `${base}/events?limit=1&after=${1e12}` });
  return { events, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  await withDatabase(async (database) => {
    const app = await newApp(database);
    const base = await bulkSession(app);
    // One session grows to a million trace events, 5 rounds (20 MB) per measurement.
    const figures: number[] = [];
    let total = 0;
    let seconds = 0;
    while (total < 1_000_000) {
      const written = await transfer(app, base, 5);
      figures.push(written.events / written.seconds);
      total += written.events;
      seconds += written.seconds;
    }
    figures.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        benchmark: 'trace events written during a bulk transfer (until 1,000,000 events)',
        events: total,
        wall_s: Number(seconds.toFixed(3)),
        events_per_s: Math.round(total / seconds),
        per_20MB_min: Math.round(figures[0] ?? 0),
        per_20MB_median: Math.round(figures[Math.floor(figures.length / 2)] ?? 0),
      }),
    );

    // Rebuild it as a restart would.
    await app.close();
    const restarted = await newApp(database);
    const started = performance.now();
    const response = await restarted.inject({ method: 'GET', url: base });
    const rebuild = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify({
        benchmark: 'rebuild a session from its log (first request after a restart)',
        events: response.json<{ lastEventId: number }>().lastEventId,
        commands: await database.prisma.command.count(),
        wall_s: Number(rebuild.toFixed(3)),
      }),
    );
    await restarted.close();
  });
}

await main();
