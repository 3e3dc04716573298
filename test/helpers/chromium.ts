/**
 * Debian's Chromium for browser tests (playwright-core): where it is, whether a test may skip
 * without it (never with CI=true), and a headless persistent context with the flags this machine's
 * closed network needs, in a profile directory of its own that close() removes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether Chromium is installed; without it a test file skips loudly, or fails when CI=true. */
export function requireChromium(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} not found: ${what} needs Debian's chromium (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`\n*** SKIPPING ${what}: ${message} ***\n`);
  return false;
}

/** A headless Chromium context; close() also removes its profile. */
export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    // Without the background-networking flags Chromium keeps calling out, refused by this network.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
