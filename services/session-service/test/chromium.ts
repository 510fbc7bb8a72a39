/**
 * Headless Chromium for the dashboard's browser tests and its benchmark: Debian's
 * (/usr/bin/chromium), or the one CHROMIUM_PATH names, with nothing of its own on the network
 * (no background updates, component downloads or sync) and no GPU.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * What the Content Security Policy refuses in `context`'s pages, as Chromium reports it in the
 * console ("Refused to execute inline script because it violates the following Content Security
 * Policy directive: ..."), from now on.
 */
export function cspViolations(context: BrowserContext): string[] {
  const refused: string[] = [];
  context.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) refused.push(message.text());
  });
  return refused;
}
