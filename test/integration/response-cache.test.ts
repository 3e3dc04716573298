import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const PORTFOLIO =
  '{ portfolio(accountId: "acc-1") { accountId positions { quantity token { symbol price { usd } } } } }';
const TOKEN = '{ token(id: "bitcoin") { symbol price { usd } } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('response cache', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { RESPONSE_CACHE: 'true' } });
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  it('serves a repeated query from the cache without any upstream call', async () => {
    const first = await gateway.graphql(PORTFOLIO);
    expect(gateway.calls()).toMatchObject({ portfolio: 1, market: 1 });
    const second = await gateway.graphql(PORTFOLIO);
    expect(second.body).toEqual(first.body);
    expect(gateway.calls()).toMatchObject({ portfolio: 1, market: 1 });
    expect(second.headers.get('cache-control')).toBe('private, no-store');
  });

  it("never serves one principal's cached portfolio to another", async () => {
    await gateway.graphql(PORTFOLIO); // user-1, cached
    const other = await gateway.graphql(PORTFOLIO, {}, gateway.as('user-2'));
    expect(other.body.data?.portfolio).toBeNull();
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await gateway.graphql(PORTFOLIO, {}, {});
    expect(anonymous.body.data?.portfolio).toBeNull();
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('reads the portfolio fresh after the principal places an order', async () => {
    // A query text of its own: no other test has cached it.
    const query = '{ afterTrade: portfolio(accountId: "acc-1") { accountId positions { quantity } } }';
    await gateway.graphql(query);
    await gateway.graphql(query);
    expect(gateway.calls().portfolio).toBe(1);
    const placed = await gateway.signed(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      {
        input: {
          accountId: 'acc-1',
          tokenId: 'bitcoin',
          side: 'BUY',
          type: 'MARKET',
          quantity: '1',
          clientOrderId: `rc-${randomUUID().slice(0, 8)}`,
        },
      },
    );
    expect(placed.body.errors).toBeUndefined();
    await gateway.graphql(query);
    // 1 first read + 1 ownership check of placeOrder + 1 fresh read after the trade.
    expect(gateway.calls().portfolio).toBe(3);
  });

  it('shares public answers between anonymous callers, with a public Cache-Control', async () => {
    const first = await gateway.graphql(TOKEN, {}, {});
    const marketCalls = gateway.calls().market;
    const second = await gateway.graphql(TOKEN, {}, {});
    expect(second.body).toEqual(first.body);
    expect(gateway.calls().market).toBe(marketCalls);
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=[1-5]$/); // prices live 5 s
  });

  it('answers a hit with the Cache-Control of the miss that stored it, and its Age', async () => {
    // A query text of its own: no other test has cached it.
    const query = '{ hitHeaders: token(id: "bitcoin") { symbol price { usd } } }';
    const miss = await gateway.graphql(query, {}, {});
    const marketCalls = gateway.calls().market;
    await sleep(1100);
    const hit = await gateway.graphql(query, {}, {});
    expect(gateway.calls().market).toBe(marketCalls); // served from the cache
    expect(hit.body).toEqual(miss.body);
    expect(miss.headers.get('cache-control')).toMatch(/^public, max-age=[1-5]$/);
    expect(hit.headers.get('cache-control')).toBe(miss.headers.get('cache-control'));
    expect(miss.headers.get('age')).toBeNull();
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(1);
    expect(Number(hit.headers.get('age'))).toBeLessThanOrEqual(5);
  });

  it('skips the lookup when the request says Cache-Control: no-cache', async () => {
    await gateway.graphql(TOKEN, {}, {});
    const before = gateway.calls().market;
    await gateway.graphql(TOKEN, {}, { 'cache-control': 'no-cache' });
    expect(gateway.calls().market).toBe(before + 1);
  });

  it('never caches mutations or answers with errors', async () => {
    gateway.sandboxes.signals.control.setFaults({ outage: 'error' });
    await gateway.graphql('{ token(id: "ethereum") { symbol signal { rating } } }', {}, {});
    gateway.sandboxes.signals.control.setFaults({ outage: 'off' });
    const healed = await gateway.graphql('{ token(id: "ethereum") { symbol signal { rating } } }', {}, {});
    expect(healed.body.errors).toBeUndefined();
    const token = healed.body.data?.token as { signal: unknown };
    expect(token.signal).not.toBeNull();
  });
});

describe('response cache on Redis', () => {
  it('is shared by two instances, and bypassed (not fatal) while Redis is down', async (context) => {
    const redis = await useTestRedis({ private: true });
    if (!redis) return context.skip();
    const env = { RESPONSE_CACHE: 'true', REDIS_URL: redis.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
    const a = await startTestGateway({ env });
    const b = await startTestGateway({ env });
    try {
      await a.graphql(TOKEN, {}, {});
      const hit = await b.graphql(TOKEN, {}, {});
      expect(hit.body.data).toEqual({ token: { symbol: 'BTC', price: { usd: '97250.5' } } });
      expect(b.calls().market).toBe(0);
      // The policy travels with the entry: instance b answers the hit as a stored it.
      expect(hit.headers.get('cache-control')).toMatch(/^public, max-age=[1-5]$/);

      await redis.stop();
      const bypassed = await b.graphql(TOKEN, {}, {});
      expect(bypassed.body.data).toEqual({ token: { symbol: 'BTC', price: { usd: '97250.5' } } });
      expect(b.calls().market).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
