/**
 * The document policies in-process (yoga.fetch, memory stores, a schema of a few lines): the
 * operation analysis, rate limits and the introspection gate, with no port, sandbox or Redis.
 */

import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { createOperationAnalyzer } from '../../src/gateway/operation-analysis.js';
import { createOperationCostEstimator } from '../../src/gateway/operation-cost.js';
import { applyScopePolicy } from '../../src/gateway/scopes.js';
import { useOperationAnalysis } from '../../src/plugins/use-operation-analysis.js';
import { useRateLimits } from '../../src/plugins/use-rate-limits.js';
import { useSchemaDisclosure } from '../../src/plugins/use-schema-disclosure.js';
import { createMemoryRateLimitStore } from '../../src/stores/rate-limit.js';

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION
    directive @rateLimit(max: Int!, window: String!) on FIELD_DEFINITION
    type Query {
      quote: Int @rateLimit(max: 3, window: "1m")
      vault: Vault @requiresScopes(scopes: [["vault:read"]]) @rateLimit(max: 2, window: "1m")
      free: Int
    }
    type Vault {
      gold: Int @rateLimit(max: 100, window: "1m")
    }
  `,
  resolvers: { Query: { quote: () => 1, vault: () => ({ gold: 7 }), free: () => 0 } },
});
// As buildGatewaySchema does: @requiresScopes refuses the fields it guards when they resolve.
applyScopePolicy(schema);

const principal = (scopes: string[]): Principal => ({
  userId: 'u1',
  clientId: 'c1',
  via: 'api-key',
  scopes: new Set(scopes),
  plan: 'free',
});

function gateway(
  caller: Principal | null,
  plugins: (analyzer: ReturnType<typeof createOperationAnalyzer>) => Plugin[],
) {
  const analyzer = createOperationAnalyzer(schema);
  return createYoga<Record<string, never>, { principal: Principal | null; clientIp: string }>({
    schema: schema as never, // the test schema's resolvers read nothing of the context
    logging: false,
    context: () => ({ principal: caller, clientIp: '192.0.2.1' }),
    plugins: [useOperationAnalysis({ analyzer }), ...plugins(analyzer)],
  });
}

const ask = async (yoga: ReturnType<typeof gateway>, query: string) => {
  const response = await yoga.fetch('http://gateway/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as {
      data?: Record<string, unknown>;
      errors?: { extensions?: { code?: string } }[];
    },
  };
};

describe('rate limits, in-process', () => {
  const limited = (caller: Principal | null) =>
    gateway(caller, (analyzer) => [
      useRateLimits({
        analyzer,
        store: createMemoryRateLimitStore(),
        fallback: createMemoryRateLimitStore(),
        logger: pino({ level: 'silent' }),
        costs: createOperationCostEstimator(),
      }) as Plugin,
    ]);

  it('counts aliases and fragment copies, and refuses a whole operation that does not fit', async () => {
    const yoga = limited(principal([]));
    const three = await ask(
      yoga,
      '{ a: quote ... on Query { b: quote } ...F } fragment F on Query { c: quote }',
    );
    expect(three.status).toBe(200);
    expect(three.body.data).toEqual({ a: 1, b: 1, c: 1 });
    expect(three.headers.get('ratelimit')).toBe('"Query.quote";r=0;t=60');
    const fourth = await ask(yoga, '{ quote }');
    expect(fourth.status).toBe(429);
    expect(fourth.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('counts nothing a caller may not resolve: a refused field and everything under it spend no budget', async () => {
    const yoga = limited(principal([]));
    for (let i = 0; i < 5; i++) {
      const refused = await ask(yoga, '{ vault { gold } free }');
      expect(refused.status).toBe(200);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.headers.get('ratelimit')).toBeNull();
    }
  });

  it('serves the rest of an operation when only one of its fields is refused', async () => {
    const yoga = limited(principal(['vault:read']));
    await ask(yoga, '{ a: vault { gold } b: vault { gold } }');
    const mixed = await ask(yoga, '{ vault { gold } free }');
    expect(mixed.status).toBe(200);
    expect(mixed.body.data).toEqual({ vault: null, free: 0 });
    expect(mixed.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('the introspection gate, in-process', () => {
  const gated = (caller: Principal | null) =>
    gateway(caller, (analyzer) => [
      useSchemaDisclosure({ analyzer, introspectionScope: 'schema:introspect' }) as Plugin,
    ]);

  it.each([
    '{ __schema { queryType { name } } }',
    '{ ... on Query { __type(name: "Vault") { name } } }',
    'query A { free } query B { ...I } fragment I on Query { __schema { queryType { name } } }',
  ])('refuses %s without the scope and serves it with', async (query) => {
    const operationName = query.startsWith('query A') ? 'B' : undefined;
    const send = (yoga: ReturnType<typeof gateway>) =>
      yoga.fetch('http://gateway/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, operationName }),
      });
    expect((await send(gated(null))).status).toBe(401);
    expect((await send(gated(principal(['vault:read'])))).status).toBe(403);
    expect((await send(gated(principal(['schema:introspect'])))).status).toBe(200);
  });

  it('lets __typename and @skip-ped introspection through', async () => {
    const yoga = gated(principal([]));
    expect((await ask(yoga, '{ __typename free }')).status).toBe(200);
    expect((await ask(yoga, '{ free __schema @skip(if: true) { queryType { name } } }')).status).toBe(200);
  });
});
