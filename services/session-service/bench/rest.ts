/**
 * The REST API under load on one instance (autocannon over loopback, 10 connections, 5 s):
 *   - drive: POST .../send then POST .../clock {step}, alternately;
 *   - read: GET .../endpoints/e2.
 * Prints one JSON line per scenario: requests per second and p50/p99 latency (ms).
 * Uses DATABASE_URL when set, else an embedded PostgreSQL (see bench/persistence.ts).
 */
import autocannon from 'autocannon';
import { buildApp } from '../src/app.js';
import { readMigrations, DEFAULT_MIGRATIONS_DIR } from '../src/store/migrations.js';
import { withDatabase } from './database.js';

async function main(): Promise<void> {
  await withDatabase(async (database) => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const app = await buildApp({ database, migrations, auth: { mode: 'disabled' } });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = async (url: string, payload?: Record<string, unknown>) =>
      (await app.inject({ method: 'POST', url, ...(payload && { payload }) })).json<{
        id: string;
      }>();
    const base = `/v1/sessions/${(await post('/v1/sessions', { seed: 1, defaults: { sndBuffer: 1 << 30 } })).id}`;
    await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80 });
    await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
    await post(`${base}/endpoints/e1/listen`);
    await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
    await post(`${base}/clock`, { action: 'run', untilIdle: true, maxMs: 1000 });

    const json = { 'content-type': 'application/json' };
    const scenarios: [string, autocannon.Request[]][] = [
      [
        'POST send + POST clock step',
        [
          {
            method: 'POST',
            path: `${base}/endpoints/e2/send`,
            headers: json,
            body: '{"data":"x"}',
          },
          { method: 'POST', path: `${base}/clock`, headers: json, body: '{"action":"step"}' },
        ],
      ],
      ['GET endpoint', [{ method: 'GET', path: `${base}/endpoints/e2` }]],
    ];
    for (const [name, requests] of scenarios) {
      const result = await autocannon({ url: address, connections: 10, duration: 5, requests });
      console.log(
        JSON.stringify({
          benchmark: `REST: ${name}`,
          requests_per_s: Math.round(result.requests.average),
          p50_ms: result.latency.p50,
          p99_ms: result.latency.p99,
          errors: result.errors + result.non2xx,
        }),
      );
    }
    await app.close();
  });
}

await main();
