/**
 * Several instances (real processes) on one PostgreSQL, behind HAProxy with docker/haproxy.cfg:
 *   - throughput: 100 sessions driven by 25 clients in a loop, each taking its 4 sessions in
 *     turn (POST clock advance 1 ms, then GET the session), through HAProxy with 1, 2 and 3
 *     instances: commands per
 *     second, p50/p99 latency, errors, and the CPU time the instances and PostgreSQL spent
 *     per command (from /proc);
 *   - failover: 3 instances, one killed (SIGKILL): how long each of its sessions takes to
 *     answer again, asked in a loop through HAProxy (p50, max);
 *   - forwarding: a GET of a session answered by its owner, and by another instance that
 *     forwards it there (p50/p99, sequential).
 * Prints one JSON line per figure. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { ask, freePorts, startBalancer, startInstance } from '../test/instances.js';
import { killLeftovers, type Child } from '../test/processes.js';
import { readdir, readFile } from 'node:fs/promises';
import { withDatabase } from './database.js';

/** CPU time (ms) a process has used, from /proc (Linux): user + system. */
async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0; // gone meanwhile
  }
}

/** CPU time (ms) of every PostgreSQL process on this machine. */
async function postgresCpuMs(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') total += await cpuMs(Number(entry));
  }
  return total;
}

const SESSIONS = 100;
const CLIENTS = 25;
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

async function throughput(balancer: string, sessions: string[], pids: number[]) {
  const cpu = async () => ({
    service: (await Promise.all(pids.map(cpuMs))).reduce((a, b) => a + b, 0),
    postgres: await postgresCpuMs(),
  });
  const before = await cpu();
  const latencies: number[] = [];
  const errors: number[] = [];
  const until = performance.now() + LOAD_MS;
  // Clients at once: the sessions are taken in turn by each (a class where a quarter of the
  // students have a request under way at any moment).
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_x, client) => {
      const mine = sessions.filter((_s, i) => i % CLIENTS === client);
      for (let turn = 0; performance.now() < until; turn++) {
        const base = mine[turn % mine.length] ?? '';
        const started = performance.now();
        const moved = await ask(balancer, 'POST', `${base}/clock`, { action: 'advance', ms: 1 });
        latencies.push(performance.now() - started);
        if (moved.status !== 200) errors.push(moved.status);
        const read = await ask(balancer, 'GET', base);
        if (read.status !== 200) errors.push(read.status);
      }
    }),
  );
  const after = await cpu();
  // Each command is an advance and a read of the session: the CPU both cost, per command.
  const perCommand = (ms: number) => round(ms / latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    service_cpu_ms_per_command: perCommand(after.service - before.service),
    postgres_cpu_ms_per_command: perCommand(after.postgres - before.postgres),
    commands_per_s: Math.round((latencies.length * 1000) / LOAD_MS),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors: errors.length,
    ...(errors.length > 0 ? { error_statuses: [...new Set(errors)] } : {}),
  };
}

async function main(): Promise<void> {
  await withDatabase(async (database, url) => {
    for (const count of [1, 2, 3]) {
      const children: Child[] = [];
      const cleanups: (() => Promise<void>)[] = [];
      try {
        const { balancer, instances } = await cluster(url, count, children, cleanups);
        const sessions = await newSessions(balancer);
        const pids = instances.map((instance) => instance.child.process.pid ?? 0);
        console.log(
          JSON.stringify({
            benchmark: `cluster: ${count} instance(s) behind HAProxy, ${SESSIONS} sessions`,
            ...(await throughput(balancer, sessions, pids)),
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
