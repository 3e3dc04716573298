/**
 * A Token another source returns (a Position's, an Order's) is completed once per reference
 * (src/gateway/references.ts): the answer must be the one its fields give on their own, for every
 * shape of the selection, with one market call when a field needs the record and none when only
 * the key (or another source's field) is read; the signals call must start beside market's, not
 * after it; and a failing or unknown token must fail field by field as before.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountsById, tokensById } from '../../sources/sandbox-kit/universe.js';
import { signalFor } from '../../sources/signals/sandbox/data.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const positionsOf = (accountId: string) => accountsById.get(accountId)!.positions;
const ratingOf = (token: Record<string, unknown>) =>
  (token.signal as { rating: string } | null)?.rating ?? null;

/** `query { portfolio(accountId: "acc-1") { positions { token <selection> } } } <fragments>` */
function portfolioQuery(selection: string, fragments = ''): string {
  return `query { portfolio(accountId: "acc-1") { positions { token ${selection} } } } ${fragments}`;
}

function tokensOf(reply: Awaited<ReturnType<TestGateway['graphql']>>): Record<string, unknown>[] {
  expect(reply.body.errors).toBeUndefined();
  const portfolio = reply.body.data!.portfolio as { positions: { token: Record<string, unknown> }[] };
  return portfolio.positions.map((position) => position.token);
}

describe('references to another source’s Token', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  const symbols = () => positionsOf('acc-1').map((p) => tokensById.get(p.tokenId)!.symbol);
  const ratings = () => positionsOf('acc-1').map((p) => signalFor(p.tokenId)?.rating ?? null);

  // Each reads `symbol` (a market field needing the record) as `s`, in another shape.
  const shapes: [string, string, string][] = [
    ['a field', '{ s: symbol }', ''],
    ['an alias beside the key', '{ id s: symbol }', ''],
    ['a named fragment', '{ ...T }', 'fragment T on Token { s: symbol }'],
    [
      'a fragment inside a fragment',
      '{ ...A }',
      'fragment A on Token { ...B } fragment B on Token { s: symbol }',
    ],
    ['an inline fragment', '{ ... on Token { s: symbol } }', ''],
    ['an inline fragment without a type', '{ ... { s: symbol } }', ''],
    ['a skipped copy beside an included one', '{ s: symbol t: name @skip(if: true) }', ''],
  ];
  it.each(shapes)(
    'reads the record through %s: the same answer, one market call',
    async (_, selection, fragments) => {
      const tokens = tokensOf(await gateway.graphql(portfolioQuery(selection, fragments)));
      expect(tokens.map((token) => token.s)).toEqual(symbols());
      expect(gateway.calls()).toMatchObject({ portfolio: 1, market: 1, signals: 0 });
    },
  );

  it('reads the same record where two selections of one token merge (a field and a fragment)', async () => {
    const query = portfolioQuery('{ id ...P }', 'fragment P on Token { price { usd } name }');
    const tokens = tokensOf(await gateway.graphql(query));
    expect(tokens).toEqual(
      positionsOf('acc-1').map((p) => {
        const token = tokensById.get(p.tokenId)!;
        return { id: token.id, price: { usd: token.priceUsd }, name: token.name };
      }),
    );
    expect(gateway.calls()).toMatchObject({ market: 1 });
  });

  it.each([
    ['the key', '{ id }', 0],
    ['the key and __typename', '{ __typename id }', 0],
    ['another source’s field', '{ id signal { rating } }', 1],
    ['another source’s field in a fragment', '{ ...S }', 1, 'fragment S on Token { id signal { rating } }'],
  ] as [string, string, number, string?][])(
    'calls no market for %s',
    async (_, selection, signalCalls, fragments = '') => {
      const tokens = tokensOf(await gateway.graphql(portfolioQuery(selection, fragments)));
      expect(tokens.map((token) => token.id)).toEqual(positionsOf('acc-1').map((p) => p.tokenId));
      if (signalCalls) expect(tokens.map(ratingOf)).toEqual(ratings());
      expect(gateway.calls()).toMatchObject({ market: 0, signals: signalCalls });
    },
  );

  it('decides on the executed operation of a document holding several', async () => {
    const document = `query Keys { portfolio(accountId: "acc-1") { positions { token { ...K } } } }
      query Symbols { portfolio(accountId: "acc-1") { positions { token { ...K s: symbol } } } }
      fragment K on Token { id }`;
    const run = async (operationName: string) => {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gateway.as('user-1') },
        body: JSON.stringify({ query: document, operationName }),
      });
      return (await response.json()) as {
        data?: { portfolio: { positions: { token: Record<string, unknown> }[] } };
      };
    };
    const keys = await run('Keys');
    expect(keys.data?.portfolio.positions.map((p) => p.token.id)).toEqual(
      positionsOf('acc-1').map((p) => p.tokenId),
    );
    expect(gateway.calls()).toMatchObject({ market: 0 });
    const named = await run('Symbols');
    expect(named.data?.portfolio.positions.map((p) => p.token.s)).toEqual(symbols());
    expect(gateway.calls()).toMatchObject({ market: 1 });
  });

  it('completes the tokens of orders alike (Order.token)', async () => {
    const reply = await gateway.graphql(
      `{ orders(accountId: "acc-1") { token { symbol signal { rating } } } }`,
    );
    expect(reply.body.errors).toBeUndefined();
    const orders = reply.body.data?.orders as { token: { symbol: string } }[];
    expect(orders.length).toBeGreaterThan(0);
    expect(orders[0]?.token.symbol).toBe('BTC');
    expect(gateway.calls()).toMatchObject({ market: 1, signals: 1 });
  });

  /**
   * Sends `query` while market answers 300 ms late (within the test gateway's UPSTREAM_TIMEOUT_MS,
   * 400) and tells whether signals was asked before the reply came. Without a prefetch, signals is
   * asked only once market has answered (a child field waits for its parent's value).
   */
  async function signalsAskedWhileMarketOut(query: string) {
    gateway.sandboxes.market.control.setFaults({ latencyMs: 300 });
    const answered = gateway.graphql(query);
    let done = false;
    void answered.then(() => {
      done = true;
    });
    while (!done && gateway.calls().signals === 0) await new Promise((r) => setTimeout(r, 10));
    const early = !done && gateway.calls().signals === 1;
    return { early, reply: await answered };
  }

  it('starts the signals call while the market call is still out, not after it', async () => {
    const { early, reply } = await signalsAskedWhileMarketOut(portfolioQuery('{ symbol signal { rating } }'));
    const tokens = tokensOf(reply);
    expect(early).toBe(true);
    expect(tokens.map((token) => token.symbol)).toEqual(symbols());
    expect(gateway.calls()).toMatchObject({ market: 1, signals: 1 });
  });

  it.each([
    ['token(id)', '{ token(id: "bitcoin") { symbol signal { rating } } }'],
    ['tokens(ids)', '{ tokens(ids: ["bitcoin", "ethereum"]) { symbol signal { rating } } }'],
  ])('starts the signals call of %s from its arguments, beside the market call', async (_, query) => {
    const { early, reply } = await signalsAskedWhileMarketOut(query);
    expect(reply.body.errors).toBeUndefined();
    expect(early).toBe(true);
    expect(JSON.stringify(reply.body.data)).toContain('"symbol":"BTC"');
    expect(gateway.calls()).toMatchObject({ market: 1, signals: 1 });
  });

  it('prefetches nothing for arguments the resolver refuses, nor for a selection without signals', async () => {
    const tooMany = Array.from({ length: 501 }, (_, i) => `token-${i}`);
    const refused = await gateway.graphql('query($ids: [ID!]!) { tokens(ids: $ids) { signal { rating } } }', {
      ids: tooMany,
    });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const malformed = await gateway.graphql('{ token(id: "NOT A SLUG") { signal { rating } } }');
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    expect(gateway.calls()).toMatchObject({ market: 1, signals: 0 });
  });

  it('fails field by field as before when market fails: each market field errors at its own path', async () => {
    gateway.sandboxes.market.control.setFaults({ outage: 'error' });
    const reply = await gateway.graphql(portfolioQuery('{ id symbol name signal { rating } }'));
    const count = positionsOf('acc-1').length;
    const paths = (reply.body.errors ?? []).map((e) => e.path?.join('.'));
    expect(paths).toHaveLength(2 * count);
    for (let i = 0; i < count; i++) {
      expect(paths).toContain(`portfolio.positions.${i}.token.symbol`);
      expect(paths).toContain(`portfolio.positions.${i}.token.name`);
    }
    expect(new Set(reply.body.errors?.map((e) => e.extensions?.code))).toEqual(
      new Set(['UPSTREAM_UNAVAILABLE']),
    );
    const tokens = (reply.body.data!.portfolio as { positions: { token: Record<string, unknown> }[] })
      .positions;
    expect(tokens.map((p) => p.token.id)).toEqual(positionsOf('acc-1').map((p) => p.tokenId));
    expect(tokens.map((p) => ratingOf(p.token))).toEqual(ratings());
  });
});
