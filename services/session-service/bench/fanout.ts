/**
 * Fan-out: one session runs a bulk transfer on a realtime clock, producing about 2,000 trace
 * events per second, watched by 300 socket.io clients over loopback (in a second process, so
 * that the clients' parsing does not run on the service's event loop).
 *
 * Prints one JSON line: events per second delivered to each client (median and slowest), lag
 * from the engine producing an event (stamped when the runtime drains it from the engine) to a
 * client receiving it (p50, p99, max), and the service's memory per connected client (heap
 * and RSS growth after 300 clients subscribed, over 300).
 * Env: FANOUT_CLIENTS (300), FANOUT_EVENTS_PER_S (2000), FANOUT_SECONDS (10),
 * FANOUT_PROCESSES (2: the processes the clients are spread over; one cannot parse that much).
 * Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { readMigrations, DEFAULT_MIGRATIONS_DIR } from '../src/store/migrations.js';
import { withDatabase } from './database.js';
import type { ClientsReport } from './fanout-clients.js';

const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 300);
const TARGET_EVENTS_PER_S = Number(process.env.FANOUT_EVENTS_PER_S ?? 2000);
const SECONDS = Number(process.env.FANOUT_SECONDS ?? 10);
const PROCESSES = Number(process.env.FANOUT_PROCESSES ?? 2);
const LINK = { delayMs: 5, rateMbps: 10 };
const now = () => performance.timeOrigin + performance.now();

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** The client processes' reports as one: percentiles of every lag, every client's rate. */
function merge(reports: ClientsReport[]) {
  const histogram =
    reports[0]?.lagHistogram.map((_, i) =>
      reports.reduce((sum, r) => sum + (r.lagHistogram[i] ?? 0), 0),
    ) ?? [];
  const total = histogram.reduce((a, b) => a + b, 0);
  const percentile = (p: number) => {
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i] ?? 0;
      if (seen >= (p / 100) * total) return i / 10;
    }
    return NaN;
  };
  const rates = reports.flatMap((r) => r.perClient).sort((a, b) => a - b);
  return {
    p50_ms: percentile(50),
    p99_ms: percentile(99),
    max_ms: percentile(100),
    missing: reports.reduce((sum, r) => sum + r.missing, 0),
    events_per_s_per_client_median: rates[Math.floor(rates.length / 2)],
    events_per_s_per_client_min: rates[0],
    busy: Math.max(...reports.map((r) => r.busy)),
  };
}

async function main(): Promise<void> {
  await withDatabase(async (database) => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const app = await buildApp({ database, migrations, auth: { mode: 'disabled' } });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = async (path: string, payload?: Record<string, unknown>) =>
      (await app.inject({ method: 'POST', url: path, ...(payload && { payload }) })).json<{
        id: string;
        lastEventId: number;
      }>();
    const transfer = async (clock: 'manual' | 'realtime') => {
      const session = await post('/v1/sessions', {
        seed: 1,
        link: LINK,
        clock: { mode: clock },
        defaults: { sndBuffer: 1 << 30, rcvBuffer: 1 << 30 },
      });
      const base = `/v1/sessions/${session.id}`;
      await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80 });
      await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152 });
      await post(`${base}/endpoints/e1/listen`);
      await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
      await post(`${base}/endpoints/e2/send`, { bytes: 1 << 29 });
      return { id: session.id, base };
    };

    // How many events a virtual second of this transfer makes, in its steady state.
    const probe = await transfer('manual');
    const at = async (ms: number) =>
      (await post(`${probe.base}/clock`, { action: 'advance', ms })) &&
      (await app.inject({ method: 'GET', url: probe.base })).json<{ lastEventId: number }>()
        .lastEventId;
    const before = await at(1000);
    const perVirtualSecond = (await at(1000)) - before;
    const speed = TARGET_EVENTS_PER_S / perVirtualSecond;

    const session = await transfer('realtime');
    const live = app.runtime.running(session.id);
    if (live === undefined) throw new Error('the session is not running here');
    // Stamp each event as the runtime drains it from the engine.
    const stamps: Record<number, number> = {};
    const drain = live.sim.drainTrace.bind(live.sim);
    live.sim.drainTrace = () => {
      const events = drain();
      const t = now();
      for (const e of events) stamps[e.eventId] = t;
      return events;
    };
    // The first part of the lag: from the engine to the runtime publishing (after the commit).
    const toPublish: number[] = [];
    app.runtime.onTrace(
      (_sessionId, events) => {
        const first = events[0];
        if (first !== undefined && stamps[first.eventId] !== undefined) {
          toPublish.push(now() - (stamps[first.eventId] ?? 0));
        }
      },
      () => true,
    );

    collectGarbage();
    const idle = process.memoryUsage();
    const processes = Array.from({ length: PROCESSES }, (_, i) =>
      fork(
        fileURLToPath(new URL('./fanout-clients.ts', import.meta.url)),
        [url, session.id, String(Math.floor((CLIENTS + i) / PROCESSES))],
        { execArgv: ['--import', 'tsx'] },
      ),
    );
    await Promise.all(processes.map((clients) => once(clients, 'message')));
    collectGarbage();
    const connected = process.memoryUsage();

    const from = live.sim.lastEventId + 1;
    await post(`${session.base}/clock`, { action: 'play', speed });
    const busyBefore = performance.eventLoopUtilization();
    let peakHeap = 0;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 100);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const serverBusy = performance.eventLoopUtilization(busyBefore).utilization;
    await post(`${session.base}/clock`, { action: 'pause' });
    clearInterval(sampler);
    const to = live.sim.lastEventId;
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the last batches arrive

    const reports = await Promise.all(
      processes.map(async (clients) => {
        const reply = once(clients, 'message');
        clients.send({ stamps, from, to });
        return ((await reply) as [{ report: ClientsReport }])[0].report;
      }),
    );
    const report = merge(reports);
    const round = (n: number | undefined) => Math.round((n ?? NaN) * 100) / 100;
    console.log(
      JSON.stringify({
        benchmark: `fan-out: 1 session, ${CLIENTS} socket.io clients`,
        produced_events_per_s: Math.round((to - from + 1) / SECONDS),
        delivered_events_per_s_per_client_median: Math.round(
          report.events_per_s_per_client_median ?? NaN,
        ),
        delivered_events_per_s_per_client_min: Math.round(
          report.events_per_s_per_client_min ?? NaN,
        ),
        missing_events: report.missing,
        lag_p50_ms: round(report.p50_ms),
        lag_p99_ms: round(report.p99_ms),
        lag_max_ms: round(report.max_ms),
        engine_to_published_p99_ms: round(quantile(toPublish, 0.99)),
        engine_to_published_max_ms: round(quantile(toPublish, 1)),
        heap_kb_per_client: round((connected.heapUsed - idle.heapUsed) / 1024 / CLIENTS),
        rss_kb_per_client: round((connected.rss - idle.rss) / 1024 / CLIENTS),
        peak_heap_mb_streaming: round(peakHeap / 1024 / 1024),
        service_event_loop_busy: round(serverBusy),
        client_processes: PROCESSES,
        clients_event_loop_busy: round(report.busy),
      }),
    );
    await app.close();
  });
}

await main();
