import { randomUUID } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadClientOperations } from '../../src/gateway/client-operations.js';
import { type GraphQLReply, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;
const totalCalls = (gateway: TestGateway) => Object.values(gateway.calls()).reduce((a, b) => a + b, 0);

// Each selects a token too, so executing it would call the market upstream.
const DEEP = `{ token(id: "bitcoin") { symbol }
  __type(name: "Token") { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }`;
const ALIASED = `{ ${Array.from({ length: 16 }, (_, i) => `t${i}: token(id: "bitcoin") { symbol }`).join(' ')} }`;
const WIDE = `{ token(id: "bitcoin") { ${'symbol '.repeat(1000)}} }`;
const DIRECTIVES = `{ token(id: "bitcoin") { ${Array.from({ length: 11 }, () => 'symbol @include(if: true)').join(' ')} } }`;
const CANDLES_FOR = `query Candles($ids: [ID!]!) { tokens(ids: $ids) { symbol candles(limit: 24) { close } } }`;
const tokenIds = (n: number) => Array.from({ length: n }, (_, i) => `token-${i}`);

/** Variables for each client operation, as its screen sends them (acc-2 is the 500-position account). */
const VARIABLES: Record<string, Record<string, unknown>> = {
  WebPortfolio: { accountId: 'acc-2' },
  MobilePortfolio: { accountId: 'acc-2' },
  WebOrders: { accountId: 'acc-1', first: 200 },
  MobileOrders: { accountId: 'acc-1' },
  WebTokenDetail: { id: 'bitcoin', candles: 24 },
  MobileTokenDetail: { id: 'ethereum' },
  WebTokenList: { first: 100 },
  MobileTokenList: {},
  WebAccounts: {},
};

describe('query protection', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  const refused = async (query: string, variables: Record<string, unknown> = {}) => {
    const reply = await gateway.graphql(query, variables);
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('QUERY_TOO_COMPLEX');
    expect(totalCalls(gateway)).toBe(0);
    return reply.body.errors![0]!;
  };

  it('refuses a deep query with 400 QUERY_TOO_COMPLEX, saying which limit, before any upstream call', async () => {
    const error = await refused(DEEP);
    expect(error.message).toBe('Query depth limit of 7 exceeded, found 9.');
    expect(error.extensions).toMatchObject({ limit: 'depth', max: 7 });
  });

  it('refuses an aliased query', async () => {
    const error = await refused(ALIASED);
    expect(error.message).toBe('Aliases limit of 15 exceeded, found 16.');
    expect(error.extensions).toMatchObject({ limit: 'aliases', max: 15 });
  });

  it('refuses a wide query by its token count before validating it', async () => {
    const error = await refused(WIDE);
    expect(error.message).toBe('Token limit of 1000 exceeded.');
    expect(error.extensions).toMatchObject({ limit: 'tokens' });
  });

  it('refuses too many directives', async () => {
    expect((await refused(DIRECTIVES)).extensions).toMatchObject({ limit: 'directives', max: 10 });
  });

  it('refuses an over-cost query, counting lists by the size variables sent', async () => {
    const error = await refused(CANDLES_FOR, { ids: tokenIds(500) });
    // 500 tokens × (1 token + 10 for an unbatched candles call + 24 candles)
    expect(error.extensions).toMatchObject({ limit: 'cost', max: 5000, cost: 17_500 });
    const literal = await refused('{ topTokens(first: 100) { symbol candles(limit: 500) { close } } }');
    expect(literal.extensions).toMatchObject({ limit: 'cost', cost: 51_100 });
  });

  it('serves the same shape with fewer items: cost follows the variables, not the document', async () => {
    const reply = await gateway.graphql(CANDLES_FOR, { ids: ['bitcoin', 'ethereum'] });
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.tokens).toHaveLength(2);
  });

  it('serves every client query, the 500-position portfolio included', async () => {
    const queries = loadClientOperations().filter((operation) => operation.type === 'query');
    expect(queries.map((q) => q.name).sort()).toEqual(Object.keys(VARIABLES).sort());
    for (const operation of queries) {
      const reply = await gateway.graphql(operation.body, VARIABLES[operation.name]);
      expect({ name: operation.name, status: reply.status, errors: reply.body.errors }).toEqual({
        name: operation.name,
        status: 200,
        errors: undefined,
      });
    }
    const portfolio = await gateway.graphql(
      loadClientOperations().find((o) => o.name === 'WebPortfolio')!.body,
      VARIABLES.WebPortfolio,
    );
    expect((portfolio.body.data!.portfolio as { positions: unknown[] }).positions).toHaveLength(500);
  });

  it('lets the client mutations through to their signature check and execution', async () => {
    const operations = loadClientOperations();
    const place = operations.find((o) => o.name === 'MobilePlaceOrder')!;
    const cancel = operations.find((o) => o.name === 'WebCancelOrder')!;
    const placed = await gateway.signed(place.body, {
      input: {
        accountId: 'acc-1',
        tokenId: 'bitcoin',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '0.5',
        limitPrice: '1000',
        clientOrderId: `qp-${randomUUID().slice(0, 8)}`,
      },
    });
    expect(placed.body.errors).toBeUndefined();
    const id = (placed.body.data!.placeOrder as { id: string }).id;
    const cancelled = await gateway.signed(cancel.body, { id });
    expect(cancelled.body.errors).toBeUndefined();
    expect(cancelled.body.data?.cancelOrder).toEqual({ id, status: 'CANCELLED' });
  });

  it('keeps field suggestions outside production', async () => {
    const reply = await gateway.graphql('{ token(id: "bitcoin") { symbl } }');
    expect(reply.body.errors?.[0]?.message).toBe(
      'Cannot query field "symbl" on type "Token". Did you mean "symbol"?',
    );
  });

  it('leaves introspection open outside production', async () => {
    const reply = await gateway.graphql('{ __schema { queryType { name } } }', {}, {});
    expect(reply.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('refuses a GET without a CSRF header with 403, and serves it with one', async () => {
    const url = `${gateway.url}?query=${encodeURIComponent('{ token(id: "bitcoin") { symbol } }')}`;
    const bare = await fetch(url, { headers: { accept: 'application/graphql-response+json' } });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as GraphQLReply['body']).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(totalCalls(gateway)).toBe(0);
    const marked = await fetch(url, {
      headers: { accept: 'application/graphql-response+json', 'x-graphql-client': 'test/1.0' },
    });
    expect(marked.status).toBe(200);
    expect(await marked.json()).toEqual({ data: { token: { symbol: 'BTC' } } });
  });

  it('refuses a form POST, which browsers send cross-site without a preflight', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent('{ token(id: "bitcoin") { symbol } }')}`,
    });
    expect(response.status).toBe(403);
    expect(totalCalls(gateway)).toBe(0);
  });

  it('serves GraphiQL to a browser without any CSRF header', async () => {
    const response = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Switchyard</title>');
  });

  it('refuses a batched (array) body with 400', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...gateway.as('user-1'),
      },
      body: JSON.stringify([{ query: '{ token(id: "bitcoin") { symbol } }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLReply['body'];
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(body.errors?.[0]?.message).toBe('Batching is not supported.');
    expect(totalCalls(gateway)).toBe(0);
  });
});

describe('query protection in production', () => {
  let gateway: TestGateway;
  let introspectionKey: string;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { NODE_ENV: 'production' } });
    ({ key: introspectionKey } = await gateway.running.keys.create(
      { clientId: 'schema-registry', name: 'schema checks', scopes: ['schema:introspect'] },
      'test',
    ));
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  it('refuses over the limits without stating them', async () => {
    for (const [query, limit, message] of [
      [DEEP, 'depth', 'The operation is nested too deeply.'],
      [ALIASED, 'aliases', 'The operation uses too many aliases.'],
      [WIDE, 'tokens', 'The operation document is too long.'],
    ] as const) {
      const reply = await gateway.graphql(query);
      expect(reply.status).toBe(400);
      expect(reply.body.errors).toEqual([{ message, extensions: { code: 'QUERY_TOO_COMPLEX', limit } }]);
    }
    const costly = await gateway.graphql(CANDLES_FOR, { ids: tokenIds(500) });
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(JSON.stringify(costly.body)).not.toMatch(/\d{3,}/);
    expect(totalCalls(gateway)).toBe(0);
  });

  it('removes suggestions of fields, arguments and enum values', async () => {
    const field = await gateway.graphql('{ token(id: "bitcoin") { symbl } }');
    expect(field.status).toBe(400);
    expect(field.body.errors?.[0]?.message).toBe('Cannot query field "symbl" on type "Token".');
    const argument = await gateway.graphql('{ topTokens(frist: 5) { symbol } }');
    expect(argument.body.errors?.[0]?.message).toBe('Unknown argument "frist" on field "Query.topTokens".');
    const enumValue = await gateway.graphql('{ orders(accountId: "acc-1", status: OPN) { id } }');
    expect(enumValue.body.errors?.[0]).toMatchObject({
      message: 'Value "OPN" does not exist in "OrderStatus" enum.',
      locations: [{ line: 1, column: 38 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('refuses introspection without schema:introspect: 403 with a key, 401 without one', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Token") { name } }']) {
      const withKey = await gateway.graphql(query);
      expect(withKey.status).toBe(403);
      expect(withKey.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', scope: 'schema:introspect' });
      const anonymous = await gateway.graphql(query, {}, {});
      expect(anonymous.status).toBe(401);
      expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    }
    // Introspection hidden in a fragment is found too.
    const hidden = await gateway.graphql('{ ...Q } fragment Q on Query { __schema { types { name } } }');
    expect(hidden.status).toBe(403);
    // __typename is not introspection.
    const typename = await gateway.graphql('{ __typename }');
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the full introspection query to a key with schema:introspect', async () => {
    const reply = await gateway.graphql(getIntrospectionQuery(), {}, { 'x-api-key': introspectionKey });
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    const types = (reply.body.data!.__schema as { types: { name: string }[] }).types.map((t) => t.name);
    expect(types).toContain('Token');
  });
});
