import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type GraphQLReply, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;
const order = () => ({
  input: {
    accountId: 'acc-1',
    tokenId: 'bitcoin',
    side: 'BUY',
    type: 'MARKET',
    quantity: '1',
    clientOrderId: `rl-${randomUUID().slice(0, 12)}`,
  },
});
const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;
// Plans as in production, so placeOrder allows exactly 10 per minute on the free plan.
const PRODUCTION_PLANS = { RATE_LIMIT_PLANS: 'free=1,pro=10,enterprise=100' };

describe('rate limits across two instances sharing Redis', async () => {
  const redis = await useTestRedis();
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await redis?.stop();
  });

  // Skipped only where no Redis can be had and REQUIRE_REDIS is unset (the helper says so loudly).
  it.skipIf(!redis)(
    'lets exactly 10 of 100 parallel placeOrder calls through, and rotating the key keeps the count',
    async () => {
      const env = { ...PRODUCTION_PLANS, REDIS_URL: redis!.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
      const [a, b] = [await startTestGateway({ env }), await startTestGateway({ env })];
      gateways.push(a, b);
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).signed(PLACE, order())),
      );
      // Admitted = 200 (on a loaded machine an admitted order may still time out upstream: it was
      // admitted and sent all the same, which the sandbox's count below checks).
      const ok = replies.filter((r) => r.status === 200);
      const limited = replies.filter((r) => r.status === 429);
      expect(ok).toHaveLength(10);
      expect(limited).toHaveLength(90);
      const placed = [a, b].reduce((sum, g) => sum + (g.trading.control.stats.byRoute.PlaceOrder ?? 0), 0);
      expect(placed).toBe(10);

      const refused = limited[0]!;
      expect(codeOf(refused)).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit-policy')).toBe('"Mutation.placeOrder";q=10;w=60');
      expect(refused.headers.get('ratelimit')).toMatch(/^"Mutation\.placeOrder";r=0;t=\d+$/);

      // The budget is the client's, not the key's: a key rotated now is refused all the same.
      const rotated = await a.running.keys.rotate(a.signingKey('user-1').keyId, 0, 'test');
      const signingKey = { ...a.signingKey('user-1'), keyId: rotated.record.keyId };
      const after = await a.signed(PLACE, order(), { apiKey: rotated.key, signingKey });
      expect(after.status).toBe(429);
      expect(codeOf(after)).toBe('RATE_LIMITED');
    },
  );
});

describe('rate limits on one instance', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
  });
  const start = async (plans: string) => {
    const gateway = await startTestGateway({ env: { RATE_LIMIT_PLANS: plans } });
    gateways.push(gateway);
    return gateway;
  };

  it('refuses only the limited field of a mixed operation, serving the rest with 200', async () => {
    const gateway = await start('free=0.05,pro=0.05'); // portfolio: 120 × 0.05 = 6 per minute
    for (let i = 0; i < 6; i++)
      expect((await gateway.graphql('{ portfolio(accountId: "acc-1") { accountId } }')).status).toBe(200);
    const mixed = await gateway.graphql(
      '{ token(id: "bitcoin") { symbol } portfolio(accountId: "acc-1") { accountId } }',
    );
    expect(mixed.status).toBe(200);
    expect(mixed.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: null });
    expect(mixed.body.errors?.[0]).toMatchObject({
      path: ['portfolio'],
      extensions: { code: 'RATE_LIMITED', field: 'Query.portfolio' },
    });
    expect(mixed.body.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    expect(mixed.headers.get('ratelimit')).toMatch(/^"Query\.portfolio";r=0;t=\d+$/);
  });

  it('counts anonymous callers per IP', async () => {
    const gateway = await start('free=0.01'); // token: 600 × 0.01 = 6 per minute
    const replies: GraphQLReply[] = [];
    for (let i = 0; i < 7; i++)
      replies.push(await gateway.graphql('{ token(id: "ethereum") { symbol } }', {}, {}));
    expect(replies.slice(0, 6).every((r) => r.status === 200)).toBe(true);
    expect(replies[6]!.status).toBe(429);
    expect(replies[6]!.headers.get('retry-after')).toMatch(/^\d+$/);
    // An identified client has its own budget.
    expect((await gateway.graphql('{ token(id: "ethereum") { symbol } }')).status).toBe(200);
  });

  it("refuses an operation over the client's rolling cost budget with 429, before any upstream call", async () => {
    const gateway = await start('free=0.05'); // budget 100000 × 0.05 = 5000 per minute; this portfolio costs 1501
    const query =
      '{ portfolio(accountId: "acc-2") { positions { quantity token { symbol price { usd } } } } }';
    expect((await gateway.graphql(query)).status).toBe(200);
    expect((await gateway.graphql(query)).status).toBe(200);
    expect((await gateway.graphql(query)).status).toBe(200);
    gateway.resetSandboxes();
    const refused = await gateway.graphql(query);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'cost' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Object.values(gateway.calls()).reduce((a, b) => a + b, 0)).toBe(0);
    // Cheap operations of the same client still pass.
    expect((await gateway.graphql('{ token(id: "bitcoin") { symbol } }')).status).toBe(200);
  });

  it('scales limits by plan', async () => {
    const gateway = await start('free=0.01,pro=0.02');
    const { key } = await gateway.running.keys.create(
      { clientId: 'pro-client', name: 'pro', plan: 'pro', scopes: ['market:read'] },
      'test',
    );
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++)
      statuses.push(
        (await gateway.graphql('{ token(id: "solana") { symbol } }', {}, { 'x-api-key': key })).status,
      );
    expect(statuses.filter((s) => s === 200)).toHaveLength(12);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('rate limits while Redis is down', () => {
  it('fall back to counting on this instance, not to no limits', async (context) => {
    const redis = await useTestRedis({ private: true });
    if (!redis) return context.skip();
    const gateway = await startTestGateway({ env: { REDIS_URL: redis.url, RATE_LIMIT_PLANS: 'free=0.01' } });
    try {
      expect((await gateway.graphql('{ token(id: "bitcoin") { symbol } }', {}, {})).status).toBe(200);
      await redis.stop();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await gateway.graphql('{ token(id: "bitcoin") { symbol } }', {}, {})).status);
      expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(statuses.slice(6)).toEqual([429, 429]);
    } finally {
      await gateway.close();
    }
  });
});
