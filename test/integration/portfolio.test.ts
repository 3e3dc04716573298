import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountsById, tokensById, UNIVERSE_EPOCH } from '../../sources/sandbox-kit/universe.js';
import { signalFor } from '../../sources/signals/sandbox/data.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const PORTFOLIO = /* GraphQL */ `
  query Portfolio($accountId: ID!) {
    portfolio(accountId: $accountId) {
      accountId
      positions {
        quantity
        averageCost
        token { id symbol name chain price { usd change24h volume24h marketCap updatedAt } signal { rating score updatedAt } }
      }
    }
  }
`;

interface PositionReply {
  quantity: string;
  averageCost: string | null;
  token: {
    id: string;
    symbol: string;
    name: string;
    chain: string | null;
    price: { usd: string; change24h: number; volume24h: string; marketCap: string; updatedAt: string };
    signal: { rating: string; score: number; updatedAt: string } | null;
  };
}

/** What the sandboxes hold for an account, shaped like the query's answer. */
function expectedPositions(accountId: string): PositionReply[] {
  return accountsById.get(accountId)!.positions.map((position) => {
    const token = tokensById.get(position.tokenId)!;
    const signal = signalFor(position.tokenId);
    return {
      quantity: position.quantity,
      averageCost: position.averageCost,
      token: {
        id: token.id,
        symbol: token.symbol,
        name: token.name,
        chain: token.chain,
        price: {
          usd: token.priceUsd,
          change24h: token.change24h,
          volume24h: token.volume24hUsd,
          marketCap: token.marketCapUsd,
          updatedAt: UNIVERSE_EPOCH,
        },
        signal: signal ? { rating: signal.rating, score: signal.score, updatedAt: signal.updatedAt } : null,
      },
    };
  });
}

describe('portfolio across four upstreams', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  it.each([
    ['acc-1', 50],
    ['acc-2', 500],
  ])(
    'answers %s (%i positions) with sandbox data and exactly one call per upstream',
    async (accountId, count) => {
      const reply = await gateway.graphql(PORTFOLIO, { accountId });
      expect(reply.status).toBe(200);
      expect(reply.body.errors).toBeUndefined();
      const portfolio = reply.body.data?.portfolio as { accountId: string; positions: PositionReply[] };
      expect(portfolio.accountId).toBe(accountId);
      expect(portfolio.positions).toHaveLength(count);
      expect(portfolio.positions).toEqual(expectedPositions(accountId));
      expect(gateway.calls()).toEqual({ portfolio: 1, market: 1, signals: 1, trading: 0, exchange: 0 });
    },
  );

  it('answers an empty account without calling market or signals', async () => {
    const reply = await gateway.graphql(PORTFOLIO, { accountId: 'acc-3' });
    expect(reply.body.data?.portfolio).toEqual({ accountId: 'acc-3', positions: [] });
    expect(gateway.calls()).toEqual({ portfolio: 1, market: 0, signals: 0, trading: 0, exchange: 0 });
  });

  it("refuses another user's account and an unknown one alike, with FORBIDDEN", async () => {
    const foreign = await gateway.graphql(PORTFOLIO, { accountId: 'acc-4' });
    const unknown = await gateway.graphql(PORTFOLIO, { accountId: 'acc-999' });
    for (const reply of [foreign, unknown]) {
      expect(reply.body.data?.portfolio).toBeNull();
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(reply.body.errors?.[0]?.path).toEqual(['portfolio']);
    }
    expect(foreign.body.errors?.[0]?.message).toBe(unknown.body.errors?.[0]?.message);
    expect(gateway.calls().market).toBe(0);
  });

  it('serves user-2 its own one-position account', async () => {
    const reply = await gateway.graphql(PORTFOLIO, { accountId: 'acc-4' }, gateway.as('user-2'));
    const portfolio = reply.body.data?.portfolio as { positions: unknown[] };
    expect(portfolio.positions).toEqual(expectedPositions('acc-4'));
  });

  it('requires an identity for account data but not for market data', async () => {
    const reply = await gateway.graphql(
      `{ token(id: "bitcoin") { symbol } portfolio(accountId: "acc-1") { accountId } }`,
      {},
      {},
    );
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: null });
    expect(reply.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('batches tokens(ids) into one market call and one signals call, keeping order and nulls', async () => {
    const reply = await gateway.graphql(
      `query($ids: [ID!]!) { tokens(ids: $ids) { id symbol signal { rating } } }`,
      { ids: ['ethereum', 'no-such-token', 'bitcoin'] },
    );
    const tokens = reply.body.data?.tokens as ({ id: string } | null)[];
    expect(tokens.map((t) => t?.id ?? null)).toEqual(['ethereum', null, 'bitcoin']);
    expect(gateway.calls()).toMatchObject({ market: 1, signals: 1 });
  });

  it('lists orders of an own account with their tokens in one call per upstream', async () => {
    const reply = await gateway.graphql(`{ orders(accountId: "acc-1") { id side status token { symbol } } }`);
    expect(reply.body.errors).toBeUndefined();
    const orders = reply.body.data?.orders as { id: string; token: { symbol: string } }[];
    expect(orders.map((o) => o.id)).toEqual(['ord-1', 'ord-2', 'ord-3']);
    expect(orders[0]?.token.symbol).toBe('BTC');
    expect(gateway.calls()).toEqual({ portfolio: 1, market: 1, signals: 0, trading: 1, exchange: 0 });
  });
});
