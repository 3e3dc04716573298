/**
 * GraphiQL in a real browser: headless Debian Chromium (driven by playwright-core) opens GraphiQL
 * on a demo gateway, runs the example query, and finds its result in the response pane. Saves
 * test-artifacts/graphiql.png. Without /usr/bin/chromium it skips loudly; in CI (CI=true) it fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { pino } from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';

const SCREENSHOT = 'test-artifacts/graphiql.png';
const haveChromium = requireChromium('the GraphiQL browser test');

/** Text of the response pane, with the editor's non-breaking spaces made plain. */
async function responseText(page: Page): Promise<string> {
  const text = await page.locator('.graphiql-response').innerText();
  return text.replace(/\u00a0/g, ' ');
}

describe.skipIf(!haveChromium)('GraphiQL in headless Chromium', () => {
  let gateway: RunningSwitchyard;
  let browser: BrowserContext;
  let closeBrowser: (() => Promise<void>) | undefined;
  const failedRequests: string[] = [];

  beforeAll(async () => {
    gateway = await startSwitchyard(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, false),
      pino({ level: 'silent' }),
    );
    ({ browser, close: closeBrowser } = await launchChromium({ viewport: { width: 1400, height: 900 } }));
  }, 60_000);

  afterAll(async () => {
    await closeBrowser?.();
    await gateway?.close();
  });

  it('runs the example query and shows its result', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on('requestfailed', (request) =>
      failedRequests.push(`${request.url()} (${request.failure()?.errorText})`),
    );
    await page.goto(gateway.url, { waitUntil: 'domcontentloaded' });
    const runButton = page.locator('.graphiql-execute-button');
    try {
      await runButton.waitFor({ state: 'visible', timeout: 20_000 });
    } catch (err) {
      // Yoga's default GraphiQL page loads its code from unpkg.com: offline (CI here) it never renders.
      const cdn = failedRequests.some((url) => url.startsWith('https://unpkg.com/'))
        ? '\nGraphiQL loads its assets from unpkg.com, unreachable here: serve them from the gateway (@graphql-yoga/render-graphiql).'
        : '';
      throw new Error(
        `GraphiQL did not render: ${(err as Error).message.split('\n')[0]}${cdn}\nfailed requests:\n  ${failedRequests.join('\n  ') || '(none)'}`,
      );
    }
    // The editor opens with the example query (src/gateway/example.ts) and the demo user's key.
    await expect
      .poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 10_000 })
      .toContain('portfolio');

    const answered = page.waitForResponse(
      (response) => response.url() === gateway.url && response.request().method() === 'POST',
    );
    await runButton.click();
    const response = await answered;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as {
      errors?: unknown;
      data?: { portfolio: { accountId: string; positions: unknown[] }; token: { symbol: string } };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data?.portfolio.positions).toHaveLength(50);

    await expect.poll(() => responseText(page), { timeout: 10_000 }).toMatch(/"accountId":\s*"acc-1"/);
    expect(await responseText(page)).toMatch(/"symbol":\s*"BTC"/);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  }, 60_000);

  it('runs a subscription and shows its live events', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const editor = page.locator('.graphiql-query-editor');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText, not typing: the editor would close every brace typed.
    await page.keyboard.insertText(
      'subscription Live { priceUpdates(tokenIds: ["bitcoin"]) { tokenId usd updatedAt } }',
    );
    // GraphiQL reads the operation name from the editor after a debounce: on a loaded machine a click
    // right after typing still names the example's operation ("Cannot infer operation Portfolio") and
    // sends nothing. Click again until the stream opens (a click that sent nothing toggles nothing).
    for (let attempt = 1; ; attempt++) {
      const streamed = page.waitForResponse(
        (response) =>
          response.url().startsWith(gateway.url) &&
          (response.headers()['content-type'] ?? '').startsWith('text/event-stream'),
        { timeout: 5_000 },
      );
      await page.locator('.graphiql-execute-button').click();
      try {
        await streamed;
        break;
      } catch (err) {
        if (attempt === 5) throw err;
      }
    }
    // The demo market ticks every second: two different updatedAt values prove the pane is live.
    await expect.poll(() => responseText(page), { timeout: 10_000 }).toMatch(/"tokenId":\s*"bitcoin"/);
    const first = /"updatedAt":\s*"([^"]+)"/.exec(await responseText(page))?.[1];
    await expect
      .poll(async () => /"updatedAt":\s*"([^"]+)"/.exec(await responseText(page))?.[1], { timeout: 10_000 })
      .not.toBe(first);
    await page.screenshot({ path: 'test-artifacts/graphiql-subscription.png' });
    // Stop: the button toggles while a subscription runs.
    await page.locator('.graphiql-execute-button').click();
  }, 60_000);
});
