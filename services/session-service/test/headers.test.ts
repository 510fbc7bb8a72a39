// Security headers on a real port: every REST answer, every answer socket.io writes itself
// (handshake, polling, refusal), and a Content Security Policy that lets the dashboard's and
// Swagger UI's pages run their own files and nothing inline, in a real Chromium.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedApp, newKey } from './apps.js';
import { cspViolations, launchChromium } from './chromium.js';
import { listening } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];
let url: string;
let key: string;
let browser: Browser;

beforeAll(async () => {
  const { app, db } = await migratedApp(cleanups);
  url = await listening(app);
  key = await newKey(db, 'uni-a', 'instructor');
  browser = await launchChromium();
  cleanups.push(() => browser.close());
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Content-Security-Policy header as directive -> its sources. */
function policy(response: Response): Record<string, string> {
  const header = response.headers.get('content-security-policy') ?? '';
  return Object.fromEntries(
    header
      .split(';')
      .map((directive) => directive.trim())
      .filter((directive) => directive !== '')
      .map((directive) => {
        const [name = '', ...sources] = directive.split(/\s+/);
        return [name, sources.join(' ')];
      }),
  );
}

const API_POLICY = { 'default-src': "'none'", 'frame-ancestors': "'none'" };

const PAGE_POLICY = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'connect-src': "'self'",
  'img-src': "'self' data:",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

// Swagger UI's logo is an inline SVG with a <style> of its own: allowed by its hash only.
const SWAGGER_UI_POLICY = {
  ...PAGE_POLICY,
  'style-src': "'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
};

/** The headers every answer carries, whoever writes it. */
function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  expect(response.headers.get('x-powered-by')).toBeNull();
}

describe('REST answers', () => {
  it('carry the security headers and a CSP that loads nothing, errors included', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expectSecurityHeaders(health);
    expect(policy(health)).toEqual(API_POLICY);

    const refused = await fetch(`${url}/v1/sessions`); // no key
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expectSecurityHeaders(refused);
    expect(policy(refused)).toEqual(API_POLICY);

    const unknown = await fetch(`${url}/no-such-page`);
    expect(unknown.status).toBe(404);
    expectSecurityHeaders(unknown);
    expect(policy(unknown)).toEqual(API_POLICY);
  });
});

describe('socket.io answers', () => {
  it('carry the same security headers: the handshake, a poll, a refusal', async () => {
    const polling = `${url}/socket.io/?EIO=4&transport=polling`;
    const handshake = await fetch(polling);
    expect(handshake.status).toBe(200);
    const opened = await handshake.text();
    expect(opened).toMatch(/^0\{/); // engine.io's open packet
    expectSecurityHeaders(handshake);
    expect(policy(handshake)).toEqual(API_POLICY);

    // A socket.io CONNECT with the key, posted on the polling transport, then its answer polled.
    const { sid } = JSON.parse(opened.slice(1)) as { sid: string };
    const posted = await fetch(`${polling}&sid=${sid}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: `40${JSON.stringify({ token: key })}`,
    });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toBe('ok');
    expectSecurityHeaders(posted);
    const polled = await fetch(`${polling}&sid=${sid}`);
    expect(polled.status).toBe(200);
    expect(await polled.text()).toMatch(/^40\{"sid":/); // connected
    expectSecurityHeaders(polled);

    const refusal = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    expect(refusal.status).toBe(400);
    expectSecurityHeaders(refusal);
    expect(policy(refusal)).toEqual(API_POLICY);
  });
});

describe('pages', () => {
  it("serve the dashboard's page and files under the strict page policy", async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page);
    expect(policy(page)).toEqual(PAGE_POLICY);
    const html = await page.text();
    // The build has no inline script: every <script> has a src the policy allows.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script[^>]*\bsrc="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}/${script ?? ''}`);
    expect(asset.status).toBe(200);
    expect(policy(asset)).toEqual(PAGE_POLICY);
  });

  it('runs the dashboard in Chromium with nothing refused, and refuses a script injected into it', async () => {
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    await context.addInitScript({
      content: `localStorage.setItem('tcplab.apiKey', ${JSON.stringify(key)})`,
    });
    const refused = cspViolations(context);
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Three-way handshake' }).waitFor();
    expect(refused).toEqual([]);

    // Markup that got into the page (an XSS) runs nothing: no inline script, no handler.
    await page.evaluate(`{
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
      const img = document.createElement('div');
      img.innerHTML = '<img src="data:," onerror="window.injected = true">';
      document.body.append(img);
    }`);
    await expect.poll(() => refused.length).toBe(2);
    expect(await page.evaluate('window.injected === undefined')).toBe(true);
    expect(refused.join('\n')).toMatch(/script-src/);
  });

  it('serves Swagger UI under its strict policy, its operations listed, nothing refused', async () => {
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expectSecurityHeaders(docs);
    expect(policy(docs)).toEqual(SWAGGER_UI_POLICY);
    expect(await docs.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const refused = cspViolations(context);
    const page = await context.newPage();
    await page.goto(`${url}/docs`);
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThan(10);
    expect(refused).toEqual([]);
  });
});
