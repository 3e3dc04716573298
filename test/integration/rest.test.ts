/**
 * The REST face (/rest/v1) end to end: a real gateway and sandboxes, the same identity, scopes,
 * limits and signatures as /graphql, a signed order placed once over REST.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface RestReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: REST bodies are whatever the route answers; tests read fields
  body: any;
}

const CLIENT = { 'x-graphql-client': 'rest-test/1' };

async function rest(
  gateway: TestGateway,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RestReply> {
  const response = await fetch(new URL(path, gateway.origin), {
    method: init.method ?? 'GET',
    headers: { ...CLIENT, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const codeOf = (reply: RestReply) => reply.body?.errors?.[0]?.extensions?.code;

describe('REST face', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  /** A signed REST POST of user-1, as the client SDK would sign it: over the REST request itself. */
  function signedPost(path: string, payload: unknown, tamper?: (body: string) => string, signedPath = path) {
    const url = new URL(signedPath, gateway.origin).toString();
    const body = JSON.stringify(payload);
    const headers = {
      ...gateway.as('user-1'),
      'content-type': 'application/json',
      ...signRequest({
        method: 'POST',
        url,
        body: Buffer.from(body),
        contentType: 'application/json',
        key: gateway.signingKey('user-1'),
        created: Math.floor(Date.now() / 1000),
      }),
    };
    const sent = tamper ? tamper(body) : body;
    return {
      send: () => rest(gateway, path, { method: 'POST', headers, body: sent }),
    };
  }

  it('serves a valid OpenAPI 3 document of the exposed routes and credentials', async () => {
    const reply = await rest(gateway, '/rest/v1/openapi.json', { headers: {} });
    expect(reply.status).toBe(200);
    const doc = reply.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Switchyard REST');
    const paths = Object.keys(doc.paths);
    for (const path of ['/token/{id}', '/tokens', '/portfolio', '/orders', '/place-order', '/cancel-order'])
      expect(paths).toContain(path);
    expect(doc.paths['/place-order'].post).toBeDefined();
    expect(doc.paths['/token/{id}'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]),
    );
    // Key administration and subscriptions (webhooks) are not part of the REST face.
    expect(paths.some((p) => /api-key|webhook|updates/i.test(p))).toBe(false);
    expect(doc.components.securitySchemes.ApiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.servers).toEqual([{ url: '/rest/v1' }]);
    // Every $ref resolves inside the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const ref of refs)
      expect(doc.components.schemas).toHaveProperty(ref.split('/').at(-1)!.slice(0, -1));
  });

  it('answers a token anonymously, with its price and no candles', async () => {
    const reply = await rest(gateway, '/rest/v1/token/bitcoin');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: 'bitcoin', symbol: expect.any(String) });
    expect(typeof reply.body.price.usd).toBe('string');
    expect(reply.body).not.toHaveProperty('candles');
    expect(reply.headers.get('x-request-id')).toBeTruthy();
    const many = await rest(gateway, '/rest/v1/tokens?ids=bitcoin&ids=ethereum');
    expect(many.status).toBe(200);
    expect(many.body.map((t: { id: string }) => t.id)).toEqual(['bitcoin', 'ethereum']);
  });

  it('keeps the CSRF rule of GET requests: a header is required', async () => {
    const response = await fetch(new URL('/rest/v1/token/bitcoin', gateway.origin));
    expect(response.status).toBe(403);
    expect(((await response.json()) as RestReply['body']).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it("answers the caller's own portfolio with positions and token prices", async () => {
    const reply = await rest(gateway, '/rest/v1/portfolio?accountId=acc-1', {
      headers: gateway.as('user-1'),
    });
    expect(reply.status).toBe(200);
    expect(reply.body.accountId).toBe('acc-1');
    expect(reply.body.positions).toHaveLength(50);
    expect(reply.body.positions[0].token).toMatchObject({ symbol: expect.any(String) });
    expect(typeof reply.body.positions[0].token.price.usd).toBe('string');
    // The same RateLimit headers as /graphql (the tightest budget: here the cost one).
    expect(reply.headers.get('ratelimit-policy')).toMatch(/;q=\d+;w=\d+$/);
  });

  it("refuses another user's account with the code /graphql answers, as 403", async () => {
    const reply = await rest(gateway, '/rest/v1/portfolio?accountId=acc-4', {
      headers: gateway.as('user-1'),
    });
    const graphql = await gateway.graphql('query($a: ID!) { portfolio(accountId: $a) { accountId } }', {
      a: 'acc-4',
    });
    expect(codeOf(reply)).toBe('FORBIDDEN');
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(reply.status).toBe(403);
    expect(reply.body.errors[0].message).toBe(graphql.body.errors?.[0]?.message);
  });

  it('refuses a portfolio without credentials with the code /graphql answers', async () => {
    const reply = await rest(gateway, '/rest/v1/portfolio?accountId=acc-1');
    const graphql = await gateway.graphql(
      'query($a: ID!) { portfolio(accountId: $a) { accountId } }',
      { a: 'acc-1' },
      {},
    );
    const code = graphql.body.errors?.[0]?.extensions?.code;
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(code);
    expect(codeOf(reply)).toBe(code);
    expect(reply.status).toBe(code === 'UNAUTHENTICATED' ? 401 : 403);
  });

  it('refuses a bad API key with 401 whatever the route', async () => {
    for (const path of ['/rest/v1/token/bitcoin', '/rest/v1/no-such-route']) {
      const reply = await rest(gateway, path, { headers: { 'x-api-key': 'sy_test_bogus' } });
      expect(reply.status).toBe(401);
      expect(codeOf(reply)).toBe('UNAUTHENTICATED');
    }
  });

  it('answers an unknown route and the webhook routes with 404 NOT_FOUND', async () => {
    expect(codeOf(await rest(gateway, '/rest/v1/no-such-route'))).toBe('NOT_FOUND');
    const webhook = await rest(gateway, '/rest/v1/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscription: 'priceUpdates', url: 'http://127.0.0.1:1/' }),
    });
    expect(webhook.status).toBe(404);
    expect(codeOf(webhook)).toBe('NOT_FOUND');
    // Key administration has no route.
    expect(
      (await rest(gateway, '/rest/v1/api-keys?clientId=user-1', { headers: gateway.as('user-1') })).status,
    ).toBe(404);
    // Nor has custody of exchange keys: linking is GraphQL-only (signed, exchanges:write).
    const link = await rest(gateway, '/rest/v1/link-exchange-account', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gateway.as('user-1') },
      body: JSON.stringify({
        input: { exchange: 'sandbox', label: 'x', apiKey: 'k'.repeat(20), apiSecret: 's'.repeat(20) },
      }),
    });
    expect(link.status).toBe(404);
  });

  it('places a signed order once; the replay, an unsigned and a tampered request are refused', async () => {
    const input = {
      accountId: 'acc-1',
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'MARKET',
      quantity: '0.5',
      clientOrderId: `rest-${randomUUID()}`,
    };
    const order = signedPost('/rest/v1/place-order', { input });
    const placed = await order.send();
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({
      accountId: 'acc-1',
      clientOrderId: input.clientOrderId,
      side: 'BUY',
    });
    expect(placed.body.token.symbol).toEqual(expect.any(String));

    const replayed = await order.send();
    expect(replayed.status).toBe(401);
    expect(codeOf(replayed)).toBe('REPLAYED_REQUEST');

    const unsigned = await rest(gateway, '/rest/v1/place-order', {
      method: 'POST',
      headers: { ...gateway.as('user-1'), 'content-type': 'application/json' },
      body: JSON.stringify({ input: { ...input, clientOrderId: `rest-${randomUUID()}` } }),
    });
    expect(unsigned.status).toBe(401);
    expect(codeOf(unsigned)).toBe('SIGNATURE_REQUIRED');

    const tampered = await signedPost('/rest/v1/place-order', { input }, (body) =>
      body.replace('"0.5"', '"50"'),
    ).send();
    expect(tampered.status).toBe(401);
    expect(codeOf(tampered)).toBe('SIGNATURE_INVALID');

    // A signature made for /graphql is not one for the REST path.
    const elsewhere = await signedPost('/rest/v1/place-order', { input }, undefined, '/graphql').send();
    expect(elsewhere.status).toBe(401);
    expect(codeOf(elsewhere)).toBe('SIGNATURE_INVALID');

    expect(gateway.trading.orders().filter((o) => o.clientOrderId === input.clientOrderId)).toHaveLength(1);
  });
});

describe('REST face under small rate limits', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    // Query.token: 600 a minute × 0.005 = 3 per minute for an anonymous caller (counted per IP).
    gateway = await startTestGateway({ env: { RATE_LIMIT_PLANS: 'free=0.005,pro=0.005,enterprise=0.005' } });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('answers 429 RATE_LIMITED with Retry-After once the field budget is spent', async () => {
    const call = () => rest(gateway, '/rest/v1/token/bitcoin');
    for (let i = 0; i < 3; i++) {
      const reply = await call();
      expect(reply.status).toBe(200);
      expect(reply.body.id).toBe('bitcoin');
    }
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.body.errors[0].extensions.field).toBe('Query.token');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The budget is the client's, not the face's: /graphql is refused too.
    const graphql = await gateway.graphql('{ token(id: "bitcoin") { id } }', {}, CLIENT);
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('REST face with PERSISTED_OPERATIONS=required', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { PERSISTED_OPERATIONS: 'required' } });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses every REST operation (fail closed) and still serves the document', async () => {
    const reply = await rest(gateway, '/rest/v1/token/bitcoin');
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await rest(gateway, '/rest/v1/openapi.json')).status).toBe(200);
  });
});
