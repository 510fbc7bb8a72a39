// The dashboard in a real Chromium (Debian's, driven by playwright-core) against the real
// service on a real port: a preset played step by step, the marks of a retransmission, a
// viewer's read-only live view, the keyboard. Each test saves a screenshot in test-results/.
// The page's Content Security Policy refuses nothing the dashboard does, in any of them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@tcplab/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migratedApp, newKey } from './apps.js';
import { cspViolations, launchChromium } from './chromium.js';
import { listening } from './sockets.js';

const SHOTS = fileURLToPath(new URL('../test-results/dashboard/', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
let url: string;
let key: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const { app, db } = await migratedApp(cleanups);
  url = await listening(app);
  key = await newKey(db, 'uni-a', 'instructor');
  browser = await launchChromium();
  cleanups.push(() => browser.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the CSP refused in this test's browser contexts. */
let refused: string[][] = [];

/** A browser context at 1280x720 (a projector) whose CSP refusals the test checks. */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  cleanups.push(() => context.close());
  refused.push(cspViolations(context));
  return context;
}

afterEach(() => {
  const seen = refused.flat();
  refused = [];
  expect(seen).toEqual([]);
});

/** A page at 1280x720 (a projector) whose browser holds the instructor's key. */
async function instructorPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext();
  await context.addInitScript({
    content: `localStorage.setItem('tcplab.apiKey', ${JSON.stringify(key)})`,
  });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

const segmentLines = (page: Page) => page.getByTestId('ladder-segments').locator('li');

async function startPreset(page: Page, title: string): Promise<string> {
  // Exact: a title may be part of another's ("Slow start" of "HyStart leaves slow start ...").
  await page.getByRole('button', { name: title, exact: true }).click();
  await page.waitForURL(/\?session=/);
  return new URL(page.url()).searchParams.get('session') ?? '';
}

/** Clicks Next step, once the step before is taken (the controls say they are busy meanwhile). */
async function next(page: Page): Promise<void> {
  await page.locator('.controls:not([data-busy])').waitFor();
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.locator('.controls:not([data-busy])').waitFor();
}

async function nextUntilDone(page: Page): Promise<void> {
  while ((await page.getByText('The lesson has run').count()) === 0) await next(page);
}

/** A new instructor's page on the preset, played with Next step to its end, its checks holding. */
async function playedPreset(title: string): Promise<Page> {
  const { page } = await instructorPage();
  const sid = await startPreset(page, title);
  await nextUntilDone(page);
  await expect.poll(() => page.getByText(/its \d+ checks hold/).count()).toBe(1);
  // The checks read the trace over REST; the page's own copy comes over its stream and may
  // still be arriving. The scrubber goes no further than the page's trace: wait for its end.
  const sdk = createClient({ baseUrl: url, apiKey: key });
  const { lastEventId } = await sdk.sessions.get(sid);
  const [last] = (await sdk.trace.events(sid, { after: lastEventId - 1 })).items;
  const scrubber = page.getByLabel("Scrub the session's time");
  await expect
    .poll(async () => Number(await scrubber.getAttribute('max')), { timeout: 10_000 })
    .toBe(Math.max(last?.timeMs ?? 0, 1));
  return page;
}

const HANDSHAKE = [
  '0 ms client > server: S 0:0(0) win 65535 <mss 1460>',
  '10 ms server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
  '20 ms client > server: . ack 1 win 65535',
];

describe('the dashboard', () => {
  it('plays the handshake preset step by step: S, S., . on the ladder, ESTABLISHED in the TCBs and the diagram', async () => {
    const page = await playedPreset('Three-way handshake');
    await expect.poll(() => segmentLines(page).allTextContents()).toEqual(HANDSHAKE);
    // The client is e2; the connection the server's listener accepted is e3.
    await expect.poll(() => page.getByTestId('state-e2').textContent()).toBe('ESTABLISHED');
    await expect.poll(() => page.getByTestId('state-e3').textContent()).toBe('ESTABLISHED');
    expect(await page.locator('g[data-state="ESTABLISHED"]').getAttribute('data-current')).toBe(
      'client server#e3',
    );
    expect(await page.locator('g[data-state="LISTEN"]').getAttribute('data-current')).toBe(
      'server',
    );
    await page.screenshot({ path: join(SHOTS, 'handshake.png') });

    // Clicking an arrow shows every header field of its segment.
    const details = page.getByRole('region', { name: 'Segment details' });
    const [x, y] = ((await segmentLines(page).first().getAttribute('data-at')) ?? '').split(',');
    await page.getByTestId('ladder-canvas').click({ position: { x: Number(x), y: Number(y) } });
    expect(await details.locator('h3').textContent()).toBe(HANDSHAKE[0]?.split(': ')[1]);
    expect(await details.locator('dd').allTextContents()).toEqual([
      '0 ms → 10 ms',
      'client (10.0.0.1:49152)',
      'server (10.0.0.2:80)',
      'S',
      '2442144158 (relative 0)', // the client's ISS (the lesson's seed picks it)
      '0',
      '65535',
      '0',
      '{"mss":1460}',
      '—',
      'delivered',
    ]);
    // The event log is linked to the ladder: a segment's row selects that segment.
    await page
      .getByRole('region', { name: 'Event log' })
      .getByRole('button', { name: /^10\.0\.0\.2:80 > 10\.0\.0\.1:49152/ })
      .click();
    expect(await details.locator('h3').textContent()).toBe(HANDSHAKE[1]?.split(': ')[1]);

    // Presentation mode, for the back of the room: larger type on the page and on the canvas.
    const typeSize = () =>
      page.evaluate<number>('parseFloat(getComputedStyle(document.body).fontSize)');
    expect(await typeSize()).toBe(15);
    await page.getByLabel('presentation').check();
    expect(await typeSize()).toBe(21);
    await expect.poll(() => segmentLines(page).allTextContents()).toEqual(HANDSHAKE);
    await page.screenshot({ path: join(SHOTS, 'handshake-presentation.png') });
  });

  it('marks the retransmitted FIN of the lost-final-ack preset, and scrubs back to it', async () => {
    const page = await playedPreset('TIME-WAIT and the lost final ACK');
    const scrub = page.getByLabel("Scrub the session's time");
    // At 1065 ms: the server's FIN sent again from LAST-ACK, marked, and the client's new ACK.
    await scrub.fill('1065');
    await expect
      .poll(() => segmentLines(page).allTextContents())
      .toEqual([
        '1050 ms server > client: F. 1:1(0) ack 2 win 65535 (retransmission)',
        '1060 ms client > server: . ack 2 win 65535 (duplicate-ack)',
      ]);
    expect(await segmentLines(page).first().getAttribute('data-label')).toBe('retransmission');
    // At the scrubbed time the client (e1 here) is in TIME-WAIT, the server's connection in
    // LAST-ACK until 1070 ms.
    expect(await page.getByTestId('state-e1').textContent()).toBe('TIME-WAIT');
    expect(await page.getByTestId('state-e3').textContent()).toBe('LAST-ACK');
    await page.screenshot({ path: join(SHOTS, 'lost-final-ack.png') });
    // At 70 ms: the last ACK the link lost, with its cross and reason.
    await scrub.fill('70');
    // The ladder lays out only while it is on screen; the scrubber may sit a screen above it.
    await page.getByTestId('ladder-canvas').scrollIntoViewIfNeeded();
    const lost = segmentLines(page).filter({ hasText: '. ack 2 win 65535 [dropped, fault f1]' });
    await expect.poll(() => lost.count()).toBe(1);
    expect(await lost.getAttribute('data-fate')).toBe('dropped');
  });

  it('shows a viewer the same session live, read-only, from the classroom link', async () => {
    const sdk = createClient({ baseUrl: url, apiKey: key });
    const { id: sid } = await sdk.sessions.create({
      name: 'watched',
      seed: 3,
      link: { delayMs: 10 },
    });
    await sdk.endpoints.create(sid, { name: 'server', address: '10.0.0.2', port: 80 });
    await sdk.endpoints.create(sid, { name: 'client', address: '10.0.0.1', port: 49152 });
    await sdk.endpoints.listen(sid, 'e1');

    // The instructor mints the classroom link on the session's page.
    const { page: instructor } = await instructorPage();
    await instructor.goto(`${url}/?session=${sid}`);
    await instructor.getByRole('button', { name: 'Classroom link' }).click();
    const link = await instructor.getByLabel('Classroom link (read-only, live)').inputValue();
    expect(link).toMatch(new RegExp(`^${url}/\\?session=${sid}#token=tcplab_view_`));
    const tokens = await sdk.viewerTokens.list(sid);
    expect(tokens.items.map((t) => t.name)).toEqual(['classroom link']);

    // A student opens it in a browser of their own: no key in it.
    const context = await newContext();
    const viewer = await context.newPage();
    await viewer.goto(link);
    await expect.poll(() => viewer.getByTestId('state-e1').textContent()).toBe('LISTEN');
    expect(await viewer.getByRole('region', { name: 'Controls' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Step' }).count()).toBe(0);

    // The instructor drives; the viewer sees it as it happens.
    await sdk.endpoints.connect(sid, 'e2', { remote: { address: '10.0.0.2', port: 80 } });
    await instructor.getByRole('button', { name: 'Run until idle' }).click();
    await expect.poll(() => segmentLines(viewer).count()).toBe(3);
    await expect.poll(() => viewer.getByTestId('state-e2').textContent()).toBe('ESTABLISHED');
    await viewer.screenshot({ path: join(SHOTS, 'viewer.png') });
  });

  it('turns Nagle off on a live endpoint from its controls: the TCB says so, and two small writes leave together', async () => {
    const sdk = createClient({ baseUrl: url, apiKey: key });
    const { id: sid } = await sdk.sessions.create({
      name: 'nodelay',
      seed: 1,
      link: { delayMs: 10 },
    });
    await sdk.endpoints.create(sid, { name: 'server', address: '10.0.0.2', port: 80 });
    await sdk.endpoints.create(sid, { name: 'client', address: '10.0.0.1', port: 49152 });
    await sdk.endpoints.listen(sid, 'e1');
    await sdk.endpoints.connect(sid, 'e2', { remote: { address: '10.0.0.2', port: 80 } });
    await sdk.sessions.clock(sid, { action: 'run', untilIdle: true, maxMs: 1000 });

    const { page } = await instructorPage();
    await page.goto(`${url}/?session=${sid}`);
    const client = page.locator('article[data-endpoint="e2"]');
    await expect.poll(() => client.getByText('on', { exact: true }).count()).toBe(1);
    await page.getByText('Endpoints, link and faults').click();
    await page.getByLabel('Endpoint', { exact: true }).selectOption('e2');
    // The box shows the option in force: ticked once the service answers with Nagle off.
    const nodelay = page.getByLabel('TCP_NODELAY');
    await nodelay.click();
    await expect.poll(() => nodelay.isChecked()).toBe(true);
    await expect.poll(() => client.getByText('off (TCP_NODELAY)').count()).toBe(1);
    expect((await sdk.endpoints.get(sid, 'e2')).options.nagle).toBe(false);
    expect(await page.getByRole('status').textContent()).toBe('done: TCP_NODELAY on');

    // Two writes at the same virtual time: with Nagle on, the second would wait for an ACK.
    await page.getByLabel('Text to send').fill('a');
    await page.getByRole('button', { name: 'send text' }).click();
    await page.locator('.controls:not([data-busy])').waitFor();
    await page.getByLabel('Text to send').fill('b');
    await page.getByRole('button', { name: 'send text' }).click();
    await page.locator('.controls:not([data-busy])').waitFor();
    await page.getByRole('button', { name: 'Run until idle' }).click();
    await expect
      .poll(async () =>
        (await segmentLines(page).allTextContents()).filter((l) => l.includes('(1)')),
      )
      .toEqual([
        '30 ms client > server: P. 1:2(1) ack 1 win 65535',
        '30 ms client > server: P. 2:3(1) ack 1 win 65535',
      ]);
    await page.screenshot({ path: join(SHOTS, 'nodelay.png') });
  });

  it('plots the bufferbloat preset: the queue fills to its 200 packets, srtt climbs, and a scrub cuts every plot', async () => {
    const page = await playedPreset('Bufferbloat');
    const plot = (id: string) => page.getByTestId(`plot-${id}`);
    // Below the fold the plots wait (model/in-view.ts); scrolled to, they catch up.
    await plot('congestion').scrollIntoViewIfNeeded();
    // 200 waiting and one being serialised, as the link reports the queue a packet joins.
    await expect.poll(() => plot('queue').getAttribute('data-peak')).toBe('201');
    expect(await plot('queue').textContent()).toContain('Link queue: 10.0.0.1 > 10.0.0.2');
    // srtt starts near the path's 20 ms and ends above 200 ms: the queue's wait.
    expect(Number(await plot('rtt').getAttribute('data-peak'))).toBeGreaterThan(200);
    expect(Number(await plot('congestion').getAttribute('data-peak'))).toBeGreaterThan(200_000);
    const sent = Number(await plot('sequence').getAttribute('data-points'));
    expect(sent).toBeGreaterThan(100);
    await page.screenshot({ path: join(SHOTS, 'bufferbloat.png') });

    // At 1100 ms the slow-start queue has come and gone: every plot holds only what came before.
    await page.getByLabel("Scrub the session's time").fill('1100');
    await expect
      .poll(async () => Number(await plot('sequence').getAttribute('data-points')))
      .toBeLessThan(sent);
    expect(Number(await plot('rtt').getAttribute('data-peak'))).toBeLessThan(300);
  });

  it('runs every lesson of the library as a preset, each to its checks holding', async () => {
    const sdk = createClient({ baseUrl: url, apiKey: key });
    const { items } = await sdk.scenarios.list();
    expect(items.length).toBeGreaterThan(20);
    const { page } = await instructorPage();
    for (const lesson of items) {
      await page.goto(url);
      await startPreset(page, lesson.title);
      await page.getByRole('button', { name: 'Run the rest' }).click();
      await expect
        .poll(() => page.locator('.script').textContent(), { timeout: 10_000 })
        .toMatch(/The lesson has run: its \d+ checks hold\./);
    }
    await page.screenshot({ path: join(SHOTS, 'every-lesson.png') });
    // 26 lessons played in a real browser: some 35 s alone, near a minute on a busy 2-core
    // machine; the per-lesson bound above is the one that says something about the page.
  }, 180_000);

  it('steps with the right arrow, plays and pauses with space', async () => {
    const { page } = await instructorPage();
    const sid = await startPreset(page, 'Three-way handshake');
    await next(page); // listen
    await next(page); // connect: the SYN is out
    await expect.poll(() => segmentLines(page).count()).toBe(1);
    await page.keyboard.press('ArrowRight'); // the SYN arrives; the SYN-ACK leaves
    await expect.poll(() => segmentLines(page).count()).toBe(2);
    const sdk = createClient({ baseUrl: url, apiKey: key });
    const before = (await sdk.sessions.get(sid)).clock.nowMs;
    await page.keyboard.press(' ');
    // Playing advances the manual clock 50 ms a tick; a busy machine may take a few seconds.
    await expect
      .poll(async () => (await sdk.sessions.get(sid)).clock.nowMs, { timeout: 5000 })
      .toBeGreaterThan(before + 50);
    await page.keyboard.press(' ');
    const paused = (await sdk.sessions.get(sid)).clock.nowMs;
    await page.waitForTimeout(300);
    expect((await sdk.sessions.get(sid)).clock.nowMs).toBeLessThanOrEqual(paused + 60);
    await page.screenshot({ path: join(SHOTS, 'keyboard.png') });
  });
});
