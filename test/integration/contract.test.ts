import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('HTTP contract and bad input', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  // GraphQL over HTTP: request errors are 400 for clients accepting application/graphql-response+json;
  // legacy application/json clients get 200 with the same error codes (tested below).
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...headers,
      },
      body,
    });

  it('refuses malformed GraphQL with 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await post(JSON.stringify({ query: '{ token(id: "bitcoin") { symbol ' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses unknown fields with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await post(JSON.stringify({ query: '{ token(id: "bitcoin") { password } }' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers legacy application/json clients 200 with the same error code, as GraphQL over HTTP requires', async () => {
    const response = await post(JSON.stringify({ query: '{ token(id: "bitcoin") { symbol ' }), {
      accept: 'application/json',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses a body that is not JSON with 400 and a code', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses variables of the wrong type with BAD_USER_INPUT', async () => {
    const response = await post(
      JSON.stringify({
        query: 'query($ids: [ID!]!) { tokens(ids: $ids) { id } }',
        variables: { ids: [{ not: 'an id' }] },
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['a malformed token id', '{ token(id: "Not A Slug!") { id } }'],
    [
      'too many token ids',
      `{ tokens(ids: [${Array.from({ length: 501 }, (_, i) => `"t${i}"`).join(',')}]) { id } }`,
    ],
    ['a malformed account id', '{ portfolio(accountId: "acc 1; drop") { accountId } }'],
    ['a first out of range', '{ topTokens(first: 1000) { id } }'],
  ])('refuses %s with BAD_USER_INPUT before any upstream call', async (_, query) => {
    const reply = await gateway.graphql(query);
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(Object.values(gateway.calls()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it.each([
    ['a negative quantity', { quantity: '-1' }],
    ['a zero quantity', { quantity: '0' }],
    ['a float-notation quantity', { quantity: '1e3' }],
    ['a LIMIT order without a price', { type: 'LIMIT' }],
    ['a malformed token id', { tokenId: 'BTC!' }],
  ])('refuses placeOrder with %s as BAD_USER_INPUT and sends nothing to trading', async (_, change) => {
    const input = {
      accountId: 'acc-1',
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'MARKET',
      quantity: '1',
      clientOrderId: 'c-1',
      ...change,
    };
    const reply = await gateway.signed(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      {
        input,
      },
    );
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(gateway.calls().trading).toBe(0);
  });

  it('refuses a body over the limit with 413 REQUEST_TOO_LARGE, from its declared length', async () => {
    const response = await post(JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(300_000) }));
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('REQUEST_TOO_LARGE');
  });

  it('refuses a chunked body without Content-Length with 411 LENGTH_REQUIRED', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        gateway.url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write('{"query":');
      req.end('"{ __typename }"}');
    });
    expect(status).toBe(411);
    expect(JSON.parse(body).errors[0].extensions.code).toBe('LENGTH_REQUIRED');
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const echoed = await post(JSON.stringify({ query: '{ __typename }' }), { 'x-request-id': 'abc-123' });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await post(JSON.stringify({ query: '{ __typename }' }), {
      'x-request-id': 'bad id\twith spaces',
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const health = await fetch(`${gateway.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports every upstream on /readyz', async () => {
    const response = await fetch(`${gateway.origin}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual([
      'exchange',
      'market',
      'portfolio',
      'signals',
      'trading',
    ]);
  });

  it('refuses a mutation over GET with 405', async () => {
    const response = await fetch(
      `${gateway.url}?query=${encodeURIComponent('mutation { cancelOrder(id: "ord-1") { id } }')}`,
      { headers: { 'x-graphql-client': 'test' } }, // the CSRF header GETs need (query-protection.test.ts)
    );
    expect(response.status).toBe(405);
  });

  it('refuses a malformed API key with 401, a challenge, and no upstream call', async () => {
    const reply = await gateway.graphql(
      '{ token(id: "bitcoin") { symbol } }',
      {},
      { 'x-api-key': 'sy_test_not-a-key' },
    );
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toContain('Bearer realm="switchyard"');
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(gateway.calls().market).toBe(0);
  });
});
