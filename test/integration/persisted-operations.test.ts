import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadClientOperations } from '../../src/gateway/client-operations.js';
import { type GraphQLReply, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type TestRedis, useTestRedis } from '../helpers/redis.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const totalCalls = (gateway: TestGateway) => Object.values(gateway.calls()).reduce((a, b) => a + b, 0);
const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** POSTs any body as user-1 (APQ requests carry `extensions`, which gateway.graphql does not send). */
async function post(
  gateway: TestGateway,
  body: Record<string, unknown>,
  headers: Record<string, string> = gateway.as('user-1'),
): Promise<GraphQLReply> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLReply['body'],
  };
}

/** A query no other test registered: APQ stores are shared through Redis. */
const uniqueQuery = () => `query Unique${randomUUID().replace(/-/g, '')} { token(id: "bitcoin") { symbol } }`;
const tokenDetail = loadClientOperations().find((operation) => operation.name === 'WebTokenDetail')!;

describe('automatic persisted queries', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  it('answers an unknown hash PersistedQueryNotFound, then registers the query and serves it by hash', async () => {
    const query = uniqueQuery();
    const hash = sha256(query);
    const unknown = await post(gateway, { extensions: persisted(hash) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
    ]);
    expect(totalCalls(gateway)).toBe(0);

    const registered = await post(gateway, { query, extensions: persisted(hash) });
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ data: { token: { symbol: 'BTC' } } });

    const byHash = await post(gateway, { extensions: persisted(hash) });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toEqual({ data: { token: { symbol: 'BTC' } } });
  });

  it('refuses a query whose hash does not match it, and registers nothing', async () => {
    const query = uniqueQuery();
    const wrong = sha256(`${query} `);
    const reply = await post(gateway, { query, extensions: persisted(wrong) });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('BAD_REQUEST');
    expect(reply.body.errors?.[0]?.message).toMatch(/^provided sha does not match query/);
    expect(totalCalls(gateway)).toBe(0);
    expect(codeOf(await post(gateway, { extensions: persisted(wrong) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a malformed persistedQuery extension', async () => {
    const reply = await post(gateway, { extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('BAD_REQUEST');
  });

  it('registers only what passed query protection', async () => {
    const query = `query Costly${randomUUID().replace(/-/g, '')} { topTokens(first: 100) { candles(limit: 500) { close } } }`;
    const hash = sha256(query);
    expect(codeOf(await post(gateway, { query, extensions: persisted(hash) }))).toBe('QUERY_TOO_COMPLEX');
    expect(codeOf(await post(gateway, { extensions: persisted(hash) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(totalCalls(gateway)).toBe(0);
  });

  it('serves the client operations by their manifest id without registration', async () => {
    const reply = await post(gateway, {
      extensions: persisted(tokenDetail.id),
      variables: { id: 'bitcoin' },
    });
    expect(reply.status).toBe(200);
    expect((reply.body.data!.token as { symbol: string }).symbol).toBe('BTC');
  });

  it('serves a registered hash over GET (cacheable by a CDN) with the CSRF header', async () => {
    const query = uniqueQuery();
    await post(gateway, { query, extensions: persisted(sha256(query)) });
    const url = new URL(gateway.url);
    url.searchParams.set('extensions', JSON.stringify(persisted(sha256(query))));
    const response = await fetch(url, {
      headers: { accept: 'application/graphql-response+json', 'x-apollo-operation-name': 'Unique' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { token: { symbol: 'BTC' } } });
  });

  it('still runs ad-hoc queries without a hash', async () => {
    const reply = await gateway.graphql('{ token(id: "ethereum") { symbol } }');
    expect(reply.body).toEqual({ data: { token: { symbol: 'ETH' } } });
  });
});

describe('persisted operations required (allowlist mode)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { PERSISTED_OPERATIONS: 'required' } });
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(() => gateway.resetSandboxes());

  it('refuses an ad-hoc query before any upstream call', async () => {
    const reply = await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(reply.body.errors?.[0]?.message).toMatch(/Only persisted operations run here/);
    expect(totalCalls(gateway)).toBe(0);
  });

  it('refuses to register an ad-hoc query sent with its hash', async () => {
    const query = uniqueQuery();
    const reply = await post(gateway, { query, extensions: persisted(sha256(query)) });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await post(gateway, { extensions: persisted(sha256(query)) }))).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect(totalCalls(gateway)).toBe(0);
  });

  it('serves a listed operation by hash', async () => {
    const reply = await post(gateway, {
      extensions: persisted(tokenDetail.id),
      variables: { id: 'bitcoin' },
      operationName: 'WebTokenDetail',
    });
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.token).toMatchObject({ id: 'bitcoin', symbol: 'BTC' });
    expect((reply.body.data!.token as { candles: unknown[] }).candles).toHaveLength(24);
  });

  it('serves a listed operation sent as its exact text, printed or as the file is written', async () => {
    for (const query of [tokenDetail.body, tokenDetail.source]) {
      const reply = await gateway.graphql(query, { id: 'ethereum' });
      expect(reply.status).toBe(200);
      expect(reply.body.data?.token).toMatchObject({ symbol: 'ETH' });
    }
    const edited = await gateway.graphql(tokenDetail.body.replace('chain', ''), { id: 'ethereum' });
    expect(codeOf(edited)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('serves a listed mutation by hash, still signed', async () => {
    const place = loadClientOperations().find((operation) => operation.name === 'WebPlaceOrder')!;
    const input = {
      accountId: 'acc-1',
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.2',
      limitPrice: '1000',
      clientOrderId: `po-${randomUUID().slice(0, 8)}`,
    };
    const unsigned = await post(gateway, { extensions: persisted(place.id), variables: { input } });
    expect(codeOf(unsigned)).toBe('SIGNATURE_REQUIRED');
    const signed = await gateway.signed(place.body, { input });
    expect(signed.body.errors).toBeUndefined();
    expect(signed.body.data?.placeOrder).toMatchObject({
      clientOrderId: input.clientOrderId,
      status: 'OPEN',
    });
  });
});

describe('automatic persisted queries across instances sharing Redis', () => {
  let redis: TestRedis | null;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;
  beforeAll(async () => {
    redis = await useTestRedis();
    if (!redis) return;
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
    [first, second] = await Promise.all([startTestGateway({ env }), startTestGateway({ env })]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await redis?.stop();
  });

  it('serves on one instance a query registered on the other', async (context) => {
    if (!first || !second) return context.skip('no Redis available (see test/helpers/redis.ts)');
    const query = uniqueQuery();
    const hash = sha256(query);
    expect(codeOf(await post(second, { extensions: persisted(hash) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(first, { query, extensions: persisted(hash) })).status).toBe(200);
    const reply = await post(second, { extensions: persisted(hash) });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: { token: { symbol: 'BTC' } } });
  });
});

describe('automatic persisted queries with Redis down', () => {
  let redis: TestRedis | null;
  let gateway: TestGateway | undefined;
  beforeAll(async () => {
    redis = await useTestRedis({ private: true });
    if (!redis) return;
    gateway = await startTestGateway({ env: { REDIS_URL: redis.url } });
    await redis.stop();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('misses every hash and still serves the query sent with one: slower, never refused', async (context) => {
    if (!gateway) return context.skip('no redis-server to stop (see test/helpers/redis.ts)');
    const query = uniqueQuery();
    const hash = sha256(query);
    // Anonymous: API keys cannot be checked without their store either.
    const missed = await post(gateway, { extensions: persisted(hash) }, {});
    expect(missed.status).toBe(400);
    expect(missed.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    const sent = await post(gateway, { query, extensions: persisted(hash) }, {});
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ data: { token: { symbol: 'BTC' } } });
  });
});
