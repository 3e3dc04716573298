/**
 * A cached answer never serves what a miss would refuse: for every scope-guarded field of the
 * schema, a stronger credential of a user warms the shared cache on one instance, then weaker
 * credentials of the same user (API key and JWT, in both directions) ask on both instances.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeRequirements } from '../../src/gateway/scopes.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';
import { useTestRedis } from '../helpers/redis.js';
import { codesOf, makeKey, post } from './client.js';
import { render, shapes } from './shapes.js';

const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));

/**
 * A selection of each guarded coordinate. A guarded field added to the schema without one here
 * fails the first test: the suite covers every guarded field, not a list someone remembered.
 */
const SELECTIONS: Record<string, string> = {
  'Query.portfolio': 'portfolio(accountId: "acc-1") { accountId positions { quantity } }',
  'Query.accounts': 'accounts { id }',
  'Query.orders': 'orders(accountId: "acc-1") { id status }',
  'Query.apiKeys': 'apiKeys(clientId: "user-1") { id scopes }',
  'Query.apiKeyAudit': 'apiKeyAudit(limit: 5) { type }',
  // Never cached (maxAge 0), and held to the same test: a weaker credential never reads them.
  'Query.exchangeAccounts': 'exchangeAccounts { id label }',
  'Query.exchangeBalances': 'exchangeBalances(exchangeAccountId: "xa_none") { free }',
};
/**
 * Mutations are never cached: they are refused by signature and scope checks on every path. Nor are
 * subscriptions (the cache wraps execution only): their scope shapes are tested in
 * test/integration/subscriptions.test.ts.
 */
const guardedQueries = [...scopeRequirements(schema).keys()].filter(
  (c) => !c.startsWith('Mutation.') && !c.startsWith('Subscription.'),
);

const redis = await useTestRedis();

describe.skipIf(!redis)('the response cache against weaker credentials of the same user', () => {
  let a: TestGateway;
  let b: TestGateway;
  let idp: TestIdp;
  const strongScopes = ['market:read', 'portfolio:read', 'keys:admin'];
  const credentials: Record<string, () => Promise<Record<string, string>>> = {};
  beforeAll(async () => {
    idp = await startTestIdp();
    const env = {
      RESPONSE_CACHE: 'true',
      REDIS_URL: redis!.url,
      REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      JWT_JWKS_URL: idp.jwksUrl,
      JWT_ISSUER: idp.issuer,
      JWT_AUDIENCE: idp.audience,
    };
    [a, b] = [await startTestGateway({ env }), await startTestGateway({ env })];
    const strongKey = await makeKey(a, 'user-1', strongScopes);
    const weakKey = await makeKey(a, 'user-1', ['market:read']);
    credentials['strong key'] = async () => ({ 'x-api-key': strongKey.key });
    credentials['weak key'] = async () => ({ 'x-api-key': weakKey.key });
    credentials['strong JWT'] = async () => ({
      authorization: `Bearer ${await idp.token({ sub: 'user-1', scope: strongScopes.join(' ') })}`,
    });
    credentials['weak JWT'] = async () => ({
      authorization: `Bearer ${await idp.token({ sub: 'user-1', scope: 'market:read' })}`,
    });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), idp?.close()]);
    await redis?.stop();
  });

  it('has a selection for every scope-guarded field of the schema', () => {
    expect(guardedQueries.length).toBeGreaterThan(0);
    expect(guardedQueries.filter((c) => !(c in SELECTIONS))).toEqual([]);
  });

  it('serves the portfolio from the cache to the credential that warmed it (the cache is really on)', async () => {
    const operation = {
      query: `query Warm { ${SELECTIONS['Query.portfolio']} }`,
      variables: {},
      operationName: 'Warm',
    };
    const headers = await credentials['strong key']!();
    await post(a, operation, headers);
    a.resetSandboxes();
    const hit = await post(a, operation, headers);
    expect(hit.body.errors).toBeUndefined();
    expect(a.calls().portfolio).toBe(0);
  });

  const pairs = [
    ['strong key', 'weak key'],
    ['strong JWT', 'weak JWT'],
    ['strong key', 'weak JWT'],
    ['strong JWT', 'weak key'],
  ] as const;
  const cases = Object.keys(SELECTIONS).flatMap((coordinate) =>
    pairs.flatMap(([strong, weak]) =>
      [shapes[0]!, shapes[2]!, shapes[3]!].map((shape) => [coordinate, strong, weak, shape] as const),
    ),
  );

  it.each(cases)(
    '%s warmed by a %s is refused to a %s on both instances',
    async (coordinate, strong, weak, shape) => {
      const field = SELECTIONS[coordinate]!;
      const name = coordinate.split('.')[1]!;
      const operation = render(
        {
          rootType: 'Query',
          text: (_i, alias) => `${alias ? `${alias}: ` : ''}${field}`,
          variables: () => ({}),
        },
        shape,
      );
      const warm = await post(a, operation, await credentials[strong]!());
      expect(warm.body.errors, `${strong} reads ${coordinate}`).toBeUndefined();
      await post(a, operation, await credentials[strong]!());
      for (const instance of [a, b]) {
        const reply = await post(instance, operation, await credentials[weak]!());
        expect(codesOf(reply).length).toBeGreaterThan(0);
        expect(new Set(codesOf(reply))).toEqual(new Set(['FORBIDDEN']));
        expect(reply.body.data?.[name] ?? null).toBeNull();
      }
    },
  );
});
