/**
 * The dashboard under a fast session: headless Chromium (1280x720) shows one session on a
 * realtime clock whose bulk transfer makes about 2,000 segments per second, and the page's own
 * animation-frame loop records how long each frame took. Three rows, one run: the same page on
 * an idle session (the reference: what the browser does with nothing to draw), the stream with
 * the ladder in view (following), and the stream scrolled down to the plots.
 *
 * Prints one JSON line per row: frame intervals (p50, p95, p99, max), the share of frames over
 * 33 ms (two frames at 60 Hz), long tasks (the main thread busy over 50 ms), and how far behind
 * the stream the page was when it paused (segments produced but not yet drawn).
 * Env: DASHBOARD_SEGMENTS_PER_S (2000), DASHBOARD_SECONDS (10), CHROMIUM_PATH
 * (/usr/bin/chromium). Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { buildApp, type App } from '../src/app.js';
import { readMigrations, DEFAULT_MIGRATIONS_DIR } from '../src/store/migrations.js';
import { launchChromium } from '../test/chromium.js';
import { withDatabase } from './database.js';

const SEGMENTS_PER_S = Number(process.env.DASHBOARD_SEGMENTS_PER_S ?? 2000);
const SECONDS = Number(process.env.DASHBOARD_SECONDS ?? 10);
const LINK = { delayMs: 5, rateMbps: 16 };

/** Runs in the page: records every animation frame's interval and every long task. */
const RECORDER = `
  window.__frames = [];
  window.__long = [];
  let last;
  const tick = (t) => {
    if (last !== undefined) window.__frames.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push(e.duration);
  }).observe({ type: 'longtask' });
`;

interface Recorded {
  frames: number[];
  long: number[];
  /** Shares of wall time the main thread spent in all tasks, in script, in style and layout. */
  busy: { task: number; script: number; layout: number };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The renderer's main-thread totals (seconds) from the DevTools protocol's Performance domain. */
async function mainThread(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Records `ms` of the page's frames, and how busy its main thread was meanwhile. */
async function record(page: Page, cdp: CDPSession, ms: number): Promise<Recorded> {
  await page.evaluate(RECORDER);
  const before = await mainThread(cdp);
  await page.waitForTimeout(ms);
  const after = await mainThread(cdp);
  const share = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) / (ms / 1000);
  const recorded = await page.evaluate<Omit<Recorded, 'busy'>>(
    '({ frames: window.__frames, long: window.__long })',
  );
  return {
    ...recorded,
    busy: {
      task: share('TaskDuration'),
      script: share('ScriptDuration'),
      layout: share('LayoutDuration') + share('RecalcStyleDuration'),
    },
  };
}

function frameFigures(r: Recorded) {
  const sorted = [...r.frames].sort((a, b) => a - b);
  return {
    frames: sorted.length,
    frame_p50_ms: round(quantile(sorted, 0.5)),
    frame_p95_ms: round(quantile(sorted, 0.95)),
    frame_p99_ms: round(quantile(sorted, 0.99)),
    frame_max_ms: round(sorted.at(-1) ?? NaN),
    frames_over_33ms_pct: round((100 * sorted.filter((f) => f > 33.4).length) / sorted.length),
    long_tasks: r.long.length,
    long_tasks_ms: Math.round(r.long.reduce((a, b) => a + b, 0)),
    main_thread_busy_pct: Math.round(100 * r.busy.task),
    script_pct: Math.round(100 * r.busy.script),
    style_layout_pct: Math.round(100 * r.busy.layout),
  };
}

/** The number of segments the page has taken in (the ladder's toolbar says it). */
async function drawnSegments(page: Page): Promise<number> {
  const text = (await page.locator('.ladder-tools').textContent()) ?? '';
  return Number(/(\d+) segments/.exec(text)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  await withDatabase(async (database) => {
    const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);
    const app = await buildApp({ database, migrations, auth: { mode: 'disabled' } });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      await run(app, url, browser);
    } finally {
      await browser.close();
      await app.close();
    }
  });
}

async function run(app: App, url: string, browser: Browser) {
  const post = async (path: string, payload?: Record<string, unknown>) =>
    (await app.inject({ method: 'POST', url: path, ...(payload && { payload }) })).json<{
      id: string;
    }>();
  const transfer = async (clock: 'manual' | 'realtime') => {
    const session = await post('/v1/sessions', {
      name: `bulk ${clock}`,
      seed: 1,
      link: LINK,
      clock: { mode: clock },
      defaults: { sndBuffer: 1 << 30, rcvBuffer: 1 << 30 },
    });
    const base = `/v1/sessions/${session.id}`;
    await post(`${base}/endpoints`, { name: 'server', address: '10.0.0.2', port: 80 });
    await post(`${base}/endpoints`, { name: 'client', address: '10.0.0.1', port: 49152 });
    await post(`${base}/endpoints/e1/listen`);
    await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
    await post(`${base}/endpoints/e2/send`, { bytes: 1 << 29 });
    return { id: session.id, base };
  };

  // Segments each session makes, counted as the runtime publishes them.
  const segments = new Map<string, number>();
  app.runtime.onTrace(
    (sessionId, events) => {
      let n = segments.get(sessionId) ?? 0;
      for (const e of events) if (e.kind === 'segment') n += 1;
      segments.set(sessionId, n);
    },
    () => true,
  );

  // How many segments a virtual second of the transfer makes, in its steady state.
  const probe = await transfer('manual');
  await post(`${probe.base}/clock`, { action: 'advance', ms: 1000 + SECONDS * 1000 });
  const before = segments.get(probe.id) ?? 0;
  await post(`${probe.base}/clock`, { action: 'advance', ms: SECONDS * 1000 });
  const perVirtualSecond = ((segments.get(probe.id) ?? 0) - before) / SECONDS;
  const speed = SEGMENTS_PER_S / perVirtualSecond;

  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // The reference: the same page, a session with nothing happening.
  const idle = await post('/v1/sessions', { name: 'idle', seed: 1 });
  await page.goto(`${url}/?session=${idle.id}`);
  await page.locator('.ladder-tools').waitFor();
  console.log(
    JSON.stringify({
      benchmark: 'dashboard, idle session (reference)',
      ...frameFigures(await record(page, cdp, SECONDS * 1000)),
    }),
  );

  for (const view of ['ladder', 'plots'] as const) {
    const session = await transfer('realtime');
    await page.goto(`${url}/?session=${session.id}`);
    await page.locator('.ladder-tools').waitFor();
    if (view === 'plots') await page.getByTestId('plot-sequence').scrollIntoViewIfNeeded();
    await post(`${session.base}/clock`, { action: 'play', speed });
    await page.waitForTimeout(1000); // past the handshake and the first flights
    const from = segments.get(session.id) ?? 0;
    const recorded = await record(page, cdp, SECONDS * 1000);
    await post(`${session.base}/clock`, { action: 'pause' });
    const produced = segments.get(session.id) ?? 0;
    const behind = produced - (await drawnSegments(page));
    await page.waitForTimeout(2000);
    console.log(
      JSON.stringify({
        benchmark: `dashboard, streaming, ${view} in view`,
        segments_per_s: Math.round((produced - from) / SECONDS),
        ...frameFigures(recorded),
        segments_behind_at_pause: behind,
        segments_behind_2s_later: produced - (await drawnSegments(page)),
      }),
    );
  }
  await context.close();
}

await main();
