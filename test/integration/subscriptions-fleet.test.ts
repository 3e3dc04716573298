/**
 * Subscriptions across two gateway instances sharing Redis and the same upstreams: an order placed
 * through A reaches a subscriber on B, a revocation on A ends B's streams, the concurrent limit
 * holds across both, and a subscriber whose instance stops resumes on the other without a gap.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';
import { type SsePayload, subscribeSse } from '../helpers/subscriptions.js';

const ORDERS =
  'subscription Orders($account: ID!, $after: String) { orderUpdates(accountId: $account, after: $after) { cursor order { id status clientOrderId } } }';
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

const redis = await useTestRedis();

const codeOf = (payload: SsePayload | null | undefined) => payload?.errors?.[0]?.extensions?.code;

function orderUpdate(payload: SsePayload | null): { cursor: string; order: { id: string } } {
  const value = payload?.data?.orderUpdates;
  if (!value) throw new Error(`not an order update: ${JSON.stringify(payload)}`);
  return value as { cursor: string; order: { id: string } };
}

function placed(reply: { body: { data?: Record<string, unknown> | null } }): string {
  const order = reply.body.data?.placeOrder as { id: string } | undefined;
  if (!order) throw new Error(`order not placed: ${JSON.stringify(reply.body)}`);
  return order.id;
}

function limitOrder(clientOrderId: string) {
  return {
    input: {
      accountId: 'acc-1',
      tokenId: 'ethereum',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '2',
      limitPrice: '10',
      clientOrderId,
    },
  };
}

describe.skipIf(!redis)('subscriptions on two instances', () => {
  let a: TestGateway;
  let b: TestGateway;
  // The last test stops A's gateway; its sandboxes serve B until the end.
  let aStopped = false;
  beforeAll(async () => {
    const shared = {
      REDIS_URL: redis!.url,
      REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      MAX_SUBSCRIPTIONS_PER_CLIENT: '3',
      RATE_LIMIT_PLANS: 'free=1,pro=10,enterprise=100',
    };
    a = await startTestGateway({ env: shared });
    // B talks to A's sandboxes: one trading service behind both instances, as in a deployment.
    b = await startTestGateway({
      env: {
        ...shared,
        MARKET_URL: a.sandboxes.market.target,
        SIGNALS_URL: a.sandboxes.signals.target,
        PORTFOLIO_ADDR: a.sandboxes.portfolio.target,
        TRADING_ADDR: a.sandboxes.trading.target,
        EXCHANGE_URL: a.sandboxes.exchange.target,
      },
    });
  });
  afterAll(async () => {
    await b?.close();
    if (aStopped) await Promise.all(Object.values(a.sandboxes).map((sandbox) => sandbox.close()));
    else await a?.close();
    await redis?.stop();
  });

  it('delivers an order placed through A to a subscriber on B', async () => {
    const onB = await subscribeSse(b.url, ORDERS, { account: 'acc-1' }, a.as('user-1'));
    expect(onB.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = placed(await a.signed(PLACE, limitOrder(`fleet-${randomUUID()}`)));
    expect(orderUpdate(await onB.next()).order.id).toBe(id);
    onB.close();
  });

  it('ends a subscription on B within a second when its key is revoked on A', async () => {
    const { key, record } = await a.running.keys.create(
      { clientId: 'user-1', name: 'fleet revoke', scopes: ['portfolio:read'] },
      'test',
    );
    const onB = await subscribeSse(b.url, ORDERS, { account: 'acc-1' }, { 'x-api-key': key });
    expect(onB.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await a.running.keys.revoke(record.keyId, 'fleet test', 'test');
    const revokedAt = Date.now();
    expect(codeOf(await onB.until((p) => p.errors !== undefined, 2000))).toBe('KEY_REVOKED');
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('holds the concurrent-subscription limit across instances', async () => {
    const { key } = await a.running.keys.create(
      { clientId: 'user-2', name: 'fleet leases', scopes: ['market:read'] },
      'test',
    );
    const headers = { 'x-api-key': key };
    const query = 'subscription { priceUpdates(tokenIds: ["bitcoin"]) { tokenId } }';
    const open = [
      await subscribeSse(a.url, query, {}, headers),
      await subscribeSse(b.url, query, {}, headers),
      await subscribeSse(a.url, query, {}, headers),
    ];
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await subscribeSse(b.url, query, {}, headers);
    expect(fourth.status).toBe(429);
    expect((fourth.refusal ?? (await fourth.next()))?.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'subscriptions',
    });
    for (const sub of open) sub.close();
  });

  it('resumes on B, without a gap, a subscriber whose instance A stopped', async () => {
    const onA = await subscribeSse(a.url, ORDERS, { account: 'acc-1' }, a.as('user-1'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const first = placed(await b.signed(PLACE, limitOrder(`fleet-${randomUUID()}`)));
    const seen = orderUpdate(await onA.next());
    expect(seen.order.id).toBe(first);

    // A stops (its sandboxes stay up for B: they are closed with A at the end of the suite).
    aStopped = true;
    const stopping = a.running.close();
    expect(codeOf(await onA.until((p) => p.errors !== undefined, 5000))).toBe('RECONNECT');
    await stopping;
    // Orders keep coming while the client reconnects.
    const missed = [
      placed(await b.signed(PLACE, limitOrder(`fleet-${randomUUID()}`))),
      placed(await b.signed(PLACE, limitOrder(`fleet-${randomUUID()}`))),
    ];
    const onB = await subscribeSse(b.url, ORDERS, { account: 'acc-1', after: seen.cursor }, b.as('user-1'));
    const resumed = [orderUpdate(await onB.next()), orderUpdate(await onB.next())];
    expect(resumed.map((u) => u.order.id)).toEqual(missed);
    const live = placed(await b.signed(PLACE, limitOrder(`fleet-${randomUUID()}`)));
    expect(orderUpdate(await onB.next()).order.id).toBe(live);
    onB.close();
  });
});
