import { readFileSync } from 'node:fs';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadClientOperations } from '../../src/gateway/client-operations.js';
import { createOperationAnalyzer } from '../../src/gateway/operation-analysis.js';
import { createOperationCostEstimator, operationCost } from '../../src/gateway/operation-cost.js';
import { sharedTypeDefs } from '../../src/gateway/shared-type-defs.js';

const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  operationCost(schema, parse(query), variables);

describe('operation cost', () => {
  it('counts one per object, nothing per scalar', () => {
    expect(cost('{ token(id: "bitcoin") { id symbol } }')).toBe(1);
    expect(cost('{ token(id: "bitcoin") { id price { usd } signal { rating } } }')).toBe(3);
    expect(cost('{ __typename }')).toBe(0);
  });

  it('multiplies lists by their Int size argument, its default, or a variable', () => {
    expect(cost('{ topTokens(first: 40) { price { usd } } }')).toBe(80);
    expect(cost('{ topTokens { id } }')).toBe(20); // the argument's default in the schema
    expect(cost('query($n: Int) { topTokens(first: $n) { id } }', { n: 70 })).toBe(70);
    expect(cost('query($n: Int = 30) { topTokens(first: $n) { id } }')).toBe(30);
    expect(cost('query($n: Int) { topTokens(first: $n) { id } }', { n: null })).toBe(20);
    expect(cost('query($n: Int) { orders(accountId: "acc-1", first: $n) { id } }')).toBe(50);
  });

  it('counts a list argument by its length', () => {
    expect(cost('{ tokens(ids: ["bitcoin", "ethereum", "tether"]) { id } }')).toBe(3);
    expect(cost('query($ids: [ID!]!) { tokens(ids: $ids) { id } }', { ids: Array(250).fill('x') })).toBe(250);
    expect(cost('query($ids: [ID!]!) { tokens(ids: $ids) { id } }', { ids: 'bitcoin' })).toBe(1);
  });

  it('assumes sizes for unsized lists, and weighs unbatched fields and mutations', () => {
    expect(cost('{ portfolio(accountId: "acc-1") { positions { quantity } } }')).toBe(1 + 500);
    expect(cost('{ accounts { id } }')).toBe(10);
    expect(cost('{ token(id: "bitcoin") { candles(limit: 7) { close } } }')).toBe(1 + 10 + 7);
    expect(cost('mutation { cancelOrder(id: "o-1") { id token { symbol } } }')).toBe(10 + 2);
  });

  it('nests multipliers and follows fragments', () => {
    const query = `query($first: Int) { topTokens(first: $first) { ...Row ... on Token { signal { score } } } }
      fragment Row on Token { price { usd } candles(limit: 2) { close } }`;
    // per token: 1 + price 1 + candles (10 + 2) + signal 1
    expect(cost(query, { first: 10 })).toBe(10 * 15);
  });

  it('prices a fragment bomb as execution runs it: a repeated spread merges, it is not counted twice', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === 0
        ? 'fragment F0 on Token { price { usd } }'
        : `fragment F${i} on Token { ...F${i - 1} ...F${i - 1} }`,
    ).join('\n');
    expect(cost(`{ token(id: "bitcoin") { ...F${levels - 1} } }\n${fragments}`)).toBe(2);
  });

  it('counts every alias, and nothing under @skip or a false @include', () => {
    expect(cost('{ a: token(id: "a") { id } b: token(id: "b") { id } c: token(id: "c") { id } }')).toBe(3);
    expect(
      cost('query($no: Boolean!) { token(id: "a") { id price @include(if: $no) { usd } } }', { no: false }),
    ).toBe(1);
    expect(cost('{ token(id: "a") { id price @skip(if: true) { usd } } }')).toBe(1);
  });

  it("prices a budget over what the caller's scopes let resolve", () => {
    const analysis = createOperationAnalyzer(schema).analyze(
      parse('{ token(id: "bitcoin") { id } portfolio(accountId: "acc-1") { positions { quantity } } }'),
      undefined,
      {},
    )!;
    const estimator = createOperationCostEstimator();
    expect(estimator.cost(analysis, {})).toBe(1 + 1 + 500);
    expect(estimator.cost(analysis, {}, new Set(['market:read']))).toBe(1);
    expect(estimator.cost(analysis, {}, null)).toBe(1);
    expect(estimator.cost(analysis, {}, new Set(['portfolio:read']))).toBe(502);
  });

  it('costs nothing for introspection (gated on its own)', () => {
    expect(cost('{ __schema { types { name fields { name } } } }')).toBe(0);
  });

  it('caches the plan per analysis but follows the variables of every call', () => {
    const estimator = createOperationCostEstimator();
    const document = parse('query($ids: [ID!]!) { tokens(ids: $ids) { price { usd } } }');
    const analysis = createOperationAnalyzer(schema).analyze(document, undefined, {})!;
    expect(estimator.cost(analysis, { ids: ['a'] })).toBe(2);
    expect(estimator.cost(analysis, { ids: ['a', 'b', 'c'] })).toBe(6);
    expect(estimator.cost(analysis, { ids: ['a', 'b', 'c'] })).toBe(
      operationCost(schema, document, { ids: ['a', 'b', 'c'] }),
    );
  });

  it("weighs fields and sizes lists by the schema's @cost and @listSize; options replace them", () => {
    const own = buildSchema(`${sharedTypeDefs().join('\n')}
      type Query {
        feed(take: Int, first: Int = 99): [Item!]! @listSize(assumedSize: 7, slicingArguments: ["take"])
        item: Item
      }
      type Item { id: ID! quote: Quote @cost(weight: 4) }
      type Quote { bid: Int }`);
    const priced = (query: string, variables: Record<string, unknown> = {}, options = {}) =>
      operationCost(own, parse(query), variables, options);
    // `first` is no slicing argument here: only `take` sizes the feed, 7 when it is not given.
    expect(priced('{ feed(first: 2) { id } }')).toBe(7);
    expect(priced('query($n: Int) { feed(take: $n) { id } }', { n: 3 })).toBe(3);
    expect(priced('{ item { quote { bid } } }')).toBe(1 + 4 + 1);
    expect(priced('{ item { quote { bid } } }', {}, { fieldWeights: {} })).toBe(2);
    expect(priced('{ feed(first: 2) { id } }', {}, { listSizes: {} })).toBe(2);
  });

  it('picks the named operation of a document', () => {
    const document = parse('query A { accounts { id } } query B { topTokens(first: 3) { id } }');
    expect(operationCost(schema, document, {}, { operationName: 'A' })).toBe(10);
    expect(operationCost(schema, document, {}, { operationName: 'B' })).toBe(3);
    expect(operationCost(schema, document, {}, { operationName: 'C' })).toBe(0);
  });

  it('prices the client operations as README documents them', () => {
    const costs = Object.fromEntries(
      loadClientOperations().map((operation) => [operation.name, operationCost(schema, operation.document)]),
    );
    expect(costs).toEqual({
      MobileCancelOrder: 11,
      MobileOrders: 40,
      MobilePlaceOrder: 12,
      MobilePortfolio: 1511,
      MobileTokenDetail: 20,
      MobileTokenList: 150,
      WebAccounts: 10,
      WebCancelOrder: 11,
      WebOrders: 150,
      WebPlaceOrder: 12,
      WebPortfolio: 2001,
      WebTokenDetail: 37,
      WebTokenList: 60,
    });
  });
});
