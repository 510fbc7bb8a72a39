/**
 * Several instances (real processes) on one PostgreSQL, behind HAProxy with docker/haproxy.cfg:
 *   - throughput: 100 sessions, each driven by its own client in a loop (POST clock advance
 *     1 ms, then GET the session), through HAProxy with 1, 2 and 3 instances: commands per
 *     second, p50/p99 latency, errors;
 *   - failover: 3 instances, one killed (SIGKILL): how long each of its sessions takes to
 *     answer again, asked in a loop through HAProxy (p50, max);
 *   - forwarding: a GET of a session answered by its owner, and by another instance that
 *     forwards it there (p50/p99, sequential).
 * Prints one JSON line per figure. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { ask, freePorts, startBalancer, startInstance } from '../test/instances.js';
import { killLeftovers, type Child } from '../test/processes.js';
import { withDatabase } from './database.js';

const SESSIONS = 100;
const LOAD_MS = 8_000;
const LEASE_MS = 5_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function cluster(
  url: string,
  count: number,
  children: Child[],
  cleanups: (() => Promise<void>)[],
) {
  const [bind = 0, ...ports] = await freePorts(count + 1);
  const instances = await Promise.all(
    ports.map((port) =>
      startInstance(children, url, {
        PORT: String(port),
        LOG_LEVEL: 'warn',
        TCPLAB_LEASE_MS: String(LEASE_MS),
        TCPLAB_RATE_LIMIT: '100000000',
        TCPLAB_MAX_SESSIONS: '100000',
        TCPLAB_TRUSTED_PROXIES: '127.0.0.1',
      }),
    ),
  );
  const balancer = await startBalancer(
    cleanups,
    bind,
    ports.map((port) => `127.0.0.1:${port}`),
  );
  return { instances, balancer };
}

async function newSessions(balancer: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: SESSIONS }, async (_x, i) => {
      const created = await ask(balancer, 'POST', '/v1/sessions', { seed: i });
      return `/v1/sessions/${String(created.body?.id)}`;
    }),
  );
}

async function throughput(balancer: string, sessions: string[]) {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + LOAD_MS;
  await Promise.all(
    sessions.map(async (base) => {
      while (performance.now() < until) {
        const started = performance.now();
        const moved = await ask(balancer, 'POST', `${base}/clock`, { action: 'advance', ms: 1 });
        latencies.push(performance.now() - started);
        if (moved.status !== 200) errors++;
        const read = await ask(balancer, 'GET', base);
        if (read.status !== 200) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    commands_per_s: Math.round((latencies.length * 1000) / LOAD_MS),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors,
  };
}

async function main(): Promise<void> {
  await withDatabase(async (database, url) => {
    for (const count of [1, 2, 3]) {
      const children: Child[] = [];
      const cleanups: (() => Promise<void>)[] = [];
      try {
        const { balancer } = await cluster(url, count, children, cleanups);
        const sessions = await newSessions(balancer);
        console.log(
          JSON.stringify({
            benchmark: `cluster: ${count} instance(s) behind HAProxy, ${SESSIONS} sessions`,
            ...(await throughput(balancer, sessions)),
          }),
        );
      } finally {
        killLeftovers(children);
        for (const cleanup of cleanups.reverse()) await cleanup();
      }
    }

    const children: Child[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const { instances, balancer } = await cluster(url, 3, children, cleanups);
      const sessions = await newSessions(balancer);
      // Every session used once more through the balancer: each has its owner.
      await Promise.all(sessions.map((base) => ask(balancer, 'GET', base)));
      const [victim, other] = instances;
      const { rows } = await database.pool.query<{ session_id: string }>(
        'SELECT session_id FROM session_leases WHERE owner_url = $1',
        [victim?.url ?? ''],
      );
      const orphaned = rows.map((row) => `/v1/sessions/${row.session_id}`);
      victim?.child.process.kill('SIGKILL');
      const killed = performance.now();
      const back = await Promise.all(
        orphaned.map(async (base) => {
          for (;;) {
            const read = await ask(balancer, 'GET', base).catch(() => undefined);
            if (read?.status === 200) return performance.now() - killed;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }),
      );
      back.sort((a, b) => a - b);
      console.log(
        JSON.stringify({
          benchmark: `failover: SIGKILL of 1 of 3 instances, its ${orphaned.length} sessions answering again (lease ${LEASE_MS} ms)`,
          p50_ms: Math.round(percentile(back, 50)),
          max_ms: Math.round(back.at(-1) ?? NaN),
        }),
      );

      // Forwarding: one session, read at its owner and at an instance that forwards.
      const owner = instances.find((instance) => instance !== victim && instance !== other);
      const created = await ask(owner?.url ?? '', 'POST', '/v1/sessions', { seed: 1 });
      const base = `/v1/sessions/${String(created.body?.id)}`;
      for (const [how, at] of [
        ['local (the owner answers)', owner?.url ?? ''],
        ['forwarded (another instance asks the owner)', other?.url ?? ''],
      ] as const) {
        const latencies: number[] = [];
        for (let i = 0; i < 2_000; i++) {
          const started = performance.now();
          await ask(at, 'GET', base);
          latencies.push(performance.now() - started);
        }
        latencies.sort((a, b) => a - b);
        console.log(
          JSON.stringify({
            benchmark: `GET a session, ${how}`,
            p50_ms: round(percentile(latencies, 50)),
            p99_ms: round(percentile(latencies, 99)),
          }),
        );
      }
    } finally {
      killLeftovers(children);
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
