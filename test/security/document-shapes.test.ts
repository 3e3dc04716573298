/**
 * Every policy that reads the document, over every shape of it (test/security/shapes.ts): the verdict
 * must not depend on how the document spells the operation, and every copy of a field counts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSandbox } from '../../sources/exchange/sandbox/server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';
import {
  type AttackKey,
  codesOf,
  makeKey,
  ordersPlaced,
  placeOrder,
  portfolio,
  post,
  postSigned,
  schemaIntrospection,
} from './client.js';
import { arbitraryShape, describeShape, type FieldSelection, render, type Shape, shapes } from './shapes.js';

/** The fixed shapes, then a reproducible sample of random compositions. */
const everyShape = (maxCopies = 4): Shape[] => [
  ...shapes,
  ...fc.sample(arbitraryShape(maxCopies), { numRuns: 12, seed: 20261129 }),
];

describe('signatures and scopes over every shape of a mutation', () => {
  let gateway: TestGateway;
  let trader: AttackKey;
  let reader: AttackKey;
  beforeAll(async () => {
    gateway = await startTestGateway();
    trader = await makeKey(gateway, 'user-1', ['market:read', 'portfolio:read', 'trade:write']);
    // Same client, a signing credential of its own, but no trade:write.
    reader = await makeKey(gateway, 'user-1', ['market:read']);
  });
  afterAll(() => gateway.close());

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'refuses an unsigned placeOrder: %s',
    async (_label, shape) => {
      const before = ordersPlaced(gateway);
      const reply = await post(gateway, render(placeOrder, shape), { 'x-api-key': trader.key });
      expect(reply.status).toBe(401);
      expect(codesOf(reply)).toEqual(['SIGNATURE_REQUIRED']);
      expect(ordersPlaced(gateway)).toBe(before);
    },
  );

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'refuses a placeOrder signed by a key without trade:write: %s',
    async (_label, shape) => {
      const before = ordersPlaced(gateway);
      const reply = await postSigned(gateway, render(placeOrder, shape), trader.key, reader.signingKey);
      expect(reply.status).toBe(401);
      expect(codesOf(reply)).toEqual(['SIGNATURE_INVALID']);
      expect(reply.body.errors?.[0]?.message).toMatch(/lacks the scopes Mutation\.placeOrder needs/);
      expect(ordersPlaced(gateway)).toBe(before);
    },
  );

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'refuses placeOrder to a caller without trade:write even when it signs itself: %s',
    async (_label, shape) => {
      const before = ordersPlaced(gateway);
      const reply = await postSigned(gateway, render(placeOrder, shape), reader.key, reader.signingKey);
      expect(codesOf(reply)).not.toContain(undefined);
      expect(reply.body.data?.placeOrder ?? null).toBeNull();
      expect(ordersPlaced(gateway)).toBe(before);
    },
  );

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'places every copy of a properly signed placeOrder, once each: %s',
    async (_label, shape) => {
      const before = ordersPlaced(gateway);
      const operation = render(placeOrder, shape);
      const reply = await postSigned(gateway, operation, trader.key, trader.signingKey);
      expect(reply.status).toBe(200);
      expect(reply.body.errors).toBeUndefined();
      expect(ordersPlaced(gateway)).toBe(before + operation.copies);
    },
  );
});

describe('linking an exchange key, in every shape: the scope and the signature hold, the exchange is never asked', () => {
  let gateway: TestGateway;
  let linker: AttackKey;
  let reader: AttackKey;
  let exchange: ExchangeSandbox;
  let link: FieldSelection;
  const permissionChecks = () => exchange.control.stats.byRoute['GET /api/v1/key-permissions'] ?? 0;
  const linked = async (who: AttackKey) =>
    (await gateway.graphql('{ exchangeAccounts { id } }', {}, { 'x-api-key': who.key })).body.data
      ?.exchangeAccounts;
  beforeAll(async () => {
    gateway = await startTestGateway();
    exchange = gateway.sandboxes.exchange as ExchangeSandbox;
    linker = await makeKey(gateway, 'user-1', ['portfolio:read', 'exchanges:write']);
    // Same client, its own signing credential, no exchanges:write.
    reader = await makeKey(gateway, 'user-1', ['portfolio:read']);
    const key = exchange.createKey({ read: true, ipRestricted: true });
    link = {
      rootType: 'Mutation',
      text: (i, alias) => `${alias ? `${alias}: ` : ''}linkExchangeAccount(input: $link${i}) { id }`,
      variables: (i) => ({
        [`link${i}`]: {
          type: 'LinkExchangeAccountInput!',
          value: { exchange: 'sandbox', label: `shape-${i}`, apiKey: key.apiKey, apiSecret: key.apiSecret },
        },
      }),
    };
  });
  afterAll(() => gateway.close());

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'refuses it unsigned, and to a key without exchanges:write even when it signs itself: %s',
    async (_label, shape) => {
      const before = permissionChecks();
      const unsigned = await post(gateway, render(link, shape), { 'x-api-key': linker.key });
      expect(codesOf(unsigned)).toEqual(['SIGNATURE_REQUIRED']);
      const widened = await postSigned(gateway, render(link, shape), linker.key, reader.signingKey);
      expect(codesOf(widened)).toEqual(['SIGNATURE_INVALID']);
      const unscoped = await postSigned(gateway, render(link, shape), reader.key, reader.signingKey);
      expect(unscoped.body.data?.linkExchangeAccount ?? null).toBeNull();
      expect(codesOf(unscoped)).not.toContain(undefined);
      expect(permissionChecks()).toBe(before);
      expect(await linked(linker)).toEqual([]);
    },
  );
});

describe('rate limits count every copy of a field, whatever the shape', () => {
  let gateway: TestGateway;
  let trader: AttackKey;
  beforeAll(async () => {
    // placeOrder: 10 per minute × 3 = 30 for this run.
    gateway = await startTestGateway({ env: { RATE_LIMIT_PLANS: 'free=3' } });
    trader = await makeKey(gateway, 'user-1', ['market:read', 'portfolio:read', 'trade:write']);
  });
  afterAll(() => gateway.close());

  it('places at most 30 orders a minute over random shapes, and exactly what each reply admits', async () => {
    const max = 30;
    let expected = 0;
    for (const shape of fc.sample(arbitraryShape(6), { numRuns: 25, seed: 7 })) {
      const operation = render(placeOrder, shape);
      const reply = await postSigned(gateway, operation, trader.key, trader.signingKey);
      const fits = expected + operation.copies <= max;
      if (fits) {
        expect(reply.status, describeShape(shape)).toBe(200);
        expect(reply.body.errors).toBeUndefined();
        expected += operation.copies;
      } else {
        expect(reply.status, describeShape(shape)).toBe(429);
        expect(codesOf(reply).every((code) => code === 'RATE_LIMITED')).toBe(true);
      }
      expect(ordersPlaced(gateway)).toBe(expected);
    }
    expect(expected).toBeLessThanOrEqual(max);
    expect(expected).toBeGreaterThan(0);
  });
});

describe('a leased limit counts every copy of a field, whatever the shape, across two gateways', async () => {
  // token: 600 per minute × 0.5 = 300, large enough to be leased (src/stores/rate-limit-leases.ts:
  // 6 units a lease, for operations of at most 3 copies); both gateways share one Redis.
  const redis = await useTestRedis();
  const max = 300;
  const gateways: TestGateway[] = [];
  let reader: AttackKey;
  const token: FieldSelection = {
    rootType: 'Query',
    text: (_i, alias) => `${alias ? `${alias}: ` : ''}token(id: "bitcoin") { id }`,
    variables: () => ({}),
  };
  beforeAll(async () => {
    if (!redis) return;
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      RATE_LIMIT_PLANS: 'free=0.5',
    };
    gateways.push(await startTestGateway({ env }), await startTestGateway({ env }));
    reader = await makeKey(gateways[0]!, 'user-1', ['market:read']);
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await redis?.stop();
  });

  it.skipIf(!redis)('admits no more than the limit in copies, each reply whole or refused', async () => {
    let admitted = 0;
    let refusedInARow = 0;
    const sample = fc.sample(arbitraryShape(6), { numRuns: 400, seed: 11 });
    for (const [i, shape] of sample.entries()) {
      const operation = render(token, shape);
      const reply = await post(gateways[i % 2]!, operation, { 'x-api-key': reader.key });
      if (reply.status === 200) {
        expect(reply.body.errors, describeShape(shape)).toBeUndefined();
        admitted += operation.copies;
        refusedInARow = 0;
      } else {
        expect(reply.status, describeShape(shape)).toBe(429);
        expect(codesOf(reply).every((code) => code === 'RATE_LIMITED')).toBe(true);
        if (++refusedInARow === 20) break;
      }
    }
    expect(admitted).toBeLessThanOrEqual(max);
    // Short of the limit by at most what leases hold unspent (one per gateway) and one operation.
    expect(admitted).toBeGreaterThanOrEqual(max - 2 * 6 - 6);
    expect(refusedInARow).toBe(20);
  });
});

describe('a field refused by scopes is refused in every shape, and spends no budget', () => {
  let gateway: TestGateway;
  let marketOnly: AttackKey;
  let owner: AttackKey;
  beforeAll(async () => {
    // portfolio: 120 per minute × 0.05 = 6 for this run.
    gateway = await startTestGateway({ env: { RATE_LIMIT_PLANS: 'free=0.05' } });
    marketOnly = await makeKey(gateway, 'user-1', ['market:read']);
    owner = await makeKey(gateway, 'user-1', ['market:read', 'portfolio:read']);
  });
  afterAll(() => gateway.close());

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'answers FORBIDDEN without positions: %s',
    async (_label, shape) => {
      const reply = await post(gateway, render(portfolio, shape), { 'x-api-key': marketOnly.key });
      expect(codesOf(reply).length).toBeGreaterThan(0);
      expect(new Set(codesOf(reply))).toEqual(new Set(['FORBIDDEN']));
      expect(JSON.stringify(reply.body.data ?? null)).not.toContain('positions');
    },
  );

  it("leaves the client's portfolio budget whole after all those refusals", async () => {
    const plain = render(portfolio, { wrappers: [], copies: 1, placement: 'alone' });
    for (let i = 0; i < 6; i++) {
      const reply = await post(gateway, plain, { 'x-api-key': owner.key });
      expect(reply.status).toBe(200);
      expect(reply.body.errors).toBeUndefined();
    }
    const seventh = await post(gateway, plain, { 'x-api-key': owner.key });
    expect(seventh.status).toBe(429);
    expect(codesOf(seventh)).toEqual(['RATE_LIMITED']);
  });
});

describe('introspection in production, in every shape', () => {
  let gateway: TestGateway;
  let reader: AttackKey;
  let introspector: AttackKey;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { NODE_ENV: 'production', API_KEY_ENVIRONMENT: 'test' } });
    reader = await makeKey(gateway, 'user-2', ['market:read']);
    introspector = await makeKey(gateway, 'user-2', ['market:read', 'schema:introspect']);
  });
  afterAll(() => gateway.close());

  it.each(everyShape().map((shape) => [describeShape(shape), shape] as const))(
    'refuses __schema without schema:introspect, serves it with: %s',
    async (_label, shape) => {
      const operation = render(schemaIntrospection, shape);
      const anonymous = await post(gateway, operation, {});
      expect(anonymous.status).toBe(401);
      expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
      const refused = await post(gateway, operation, { 'x-api-key': reader.key });
      expect(refused.status).toBe(403);
      expect(codesOf(refused)).toEqual(['FORBIDDEN']);
      const served = await post(gateway, operation, { 'x-api-key': introspector.key });
      expect(served.status).toBe(200);
      expect(JSON.stringify(served.body.data)).toContain('"Query"');
    },
  );
});
