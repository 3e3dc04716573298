/**
 * @switchyard/client's browser build in headless Chromium (playwright-core, Debian's chromium): a
 * page on its own origin (a tiny node:http server) loads dist/browser/switchyard-client.min.js,
 * generates an Ed25519 key pair with WebCrypto, and places an order signed in the page that the
 * gateway accepts across origins (CORS_ORIGINS names the page's origin). A page on an origin the
 * gateway does not list cannot read the answer. Without /usr/bin/chromium it skips loudly; in CI
 * (CI=true) it fails.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'packages/client/dist/browser/switchyard-client.min.js');
const haveChromium = requireChromium('the SDK browser test');

const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">
  import * as Switchyard from '/switchyard-client.min.js';
  window.Switchyard = Switchyard;
  document.title = 'ready';
</script>`;

/** What the page's code sees of the SDK (the ESM bundle's exports). */
type SdkWindow = { Switchyard: typeof import('../../packages/client/src/index.js') };

describe.skipIf(!haveChromium)('@switchyard/client browser build in headless Chromium', () => {
  let gateway: TestGateway;
  let pages: Server;
  let pageOrigin: string;
  let otherOrigin: string;
  let browser: BrowserContext;
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // CI builds the package on `npm ci` (its prepare); build here when dist/ is missing.
    if (!existsSync(BUNDLE))
      await promisify(execFile)('npm', ['run', 'build', '-w', 'packages/client'], { cwd: ROOT });
    const bundle = readFileSync(BUNDLE);
    pages = createServer((request, response) => {
      if (request.url === '/switchyard-client.min.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((done) => pages.listen(0, '127.0.0.1', done));
    const { port } = pages.address() as AddressInfo;
    // Two origins on one server: localhost is allowed by the gateway, 127.0.0.1 is not.
    pageOrigin = `http://localhost:${port}`;
    otherOrigin = `http://127.0.0.1:${port}`;
    gateway = await startTestGateway({ env: { CORS_ORIGINS: pageOrigin } });
    ({ browser, close: closeBrowser } = await launchChromium());
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await gateway?.close();
    await new Promise((done) => pages?.close(done));
  });

  async function openPage(origin: string): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${origin}/`);
    await page
      .waitForFunction(() => document.title === 'ready', undefined, { timeout: 10_000 })
      .catch(() => {
        throw new Error(`the SDK bundle did not load: ${errors.join('; ') || 'no page error'}`);
      });
    return page;
  }

  it('generates a key pair and places an order signed in the page (Ed25519 on WebCrypto)', async () => {
    const page = await openPage(pageOrigin);
    const pair = await page.evaluate(() =>
      (globalThis as unknown as SdkWindow).Switchyard.generateEd25519KeyPair(),
    );
    const { key, record } = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'browser',
        scopes: ['portfolio:read', 'trade:write'],
        allowedCidrs: ['127.0.0.0/8', '::1/128'],
        signing: { type: 'ed25519', publicKey: pair.publicKey },
      },
      'test',
    );
    const clientOrderId = `browser-${randomUUID().slice(0, 8)}`;
    const result = await page.evaluate(
      async ({ url, apiKey, keyId, privateKey, clientOrderId }) => {
        const { createSwitchyardClient, ed25519SigningKey } = (globalThis as unknown as SdkWindow).Switchyard;
        const client = createSwitchyardClient({
          url,
          apiKey,
          signingKey: ed25519SigningKey(keyId, privateKey),
        });
        return client.placeOrder({
          accountId: 'acc-1',
          tokenId: 'ethereum',
          side: 'BUY',
          type: 'MARKET',
          quantity: '0.25',
          clientOrderId,
        });
      },
      { url: gateway.url, apiKey: key, keyId: record.keyId, privateKey: pair.privateKey, clientOrderId },
    );
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data?.placeOrder).toMatchObject({ clientOrderId, token: { id: 'ethereum' } });
    expect(gateway.trading.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
    await page.close();
  });

  it('cannot read the gateway from an origin CORS_ORIGINS does not list', async () => {
    const page = await openPage(otherOrigin);
    const outcome = await page.evaluate(async (url) => {
      const { createSwitchyardClient } = (globalThis as unknown as SdkWindow).Switchyard;
      const client = createSwitchyardClient({ url, apiKey: 'sy_test_unused', retries: 0 });
      return client.request('{ topTokens(first: 1) { id } }').then(
        () => 'answered',
        (err: Error) => err.name,
      );
    }, gateway.url);
    expect(outcome).toBe('TypeError'); // "Failed to fetch": the browser withheld the answer
    await page.close();
  });
});
