import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildPublicSchema } from '../../src/gateway/public-schema.js';
import { buildGatewaySchema } from '../../src/gateway/schema.js';
import {
  type CoordinatePolicy,
  policyEntries,
  readSchemaPolicy,
  SchemaPolicyError,
  schemaPolicy,
} from '../../src/gateway/schema-policy.js';
import { sharedTypeDefs } from '../../src/gateway/shared-type-defs.js';

const publicSchema = buildPublicSchema();
const policy = schemaPolicy(publicSchema);

/** A schema with the gateway's directives and one source's SDL. */
const schemaOf = (sdl: string) => buildSchema([...sharedTypeDefs(), sdl].join('\n'));

describe('schema policy', () => {
  it('holds every policy the SDL declares, by coordinate', () => {
    expect(policy['Query.portfolio']).toEqual({
      scopes: [['portfolio:read']],
      rateLimit: { max: 120, window: '1m', windowMs: 60_000 },
      cacheControl: { scope: 'PRIVATE' },
    } satisfies CoordinatePolicy);
    expect(policy['Query.apiKeys']?.scopes).toEqual([['keys:admin'], ['keys:self']]);
    expect(policy['Mutation.createApiKey']?.rateLimit).toEqual({
      max: 20,
      window: '1h',
      windowMs: 3_600_000,
    });
    expect(policy['Mutation.placeOrder']).toMatchObject({ invalidates: 'USER' });
    expect(policy.Token).toEqual({ cacheControl: { maxAge: 3600 } });
    expect(policy['Token.candles']).toEqual({ cost: 10 });
    expect(policy['Portfolio.positions']).toEqual({ listSize: { assumedSize: 500 } });
    expect(policy['Token.symbol']).toBeUndefined();
  });

  it('carries the values the gateway had in code: cache TTLs and scopes, invalidations, weights, list sizes', () => {
    const ttls = Object.fromEntries(
      policyEntries(policy, 'cacheControl').flatMap(([coordinate, { maxAge }]) =>
        maxAge === undefined ? [] : [[coordinate, maxAge * 1000]],
      ),
    );
    expect(ttls).toEqual({
      Price: 5_000,
      Signal: 60_000,
      Token: 3_600_000,
      Candle: 60_000,
      Account: 60_000,
      Portfolio: 15_000,
      Position: 15_000,
      Order: 5_000,
      ApiKey: 0,
      ApiKeyAuditEvent: 0,
      CreatedApiKey: 0,
      // Balances and linked accounts are never cached, not even per user.
      'Query.exchangeAccounts': 0,
      'Query.exchangeBalances': 0,
    });
    const privateFields = policyEntries(policy, 'cacheControl')
      .filter(([, { scope }]) => scope === 'PRIVATE')
      .map(([coordinate]) => coordinate);
    expect(privateFields.sort()).toEqual(
      [
        'Query.portfolio',
        'Query.accounts',
        'Query.orders',
        'Query.apiKeys',
        'Query.apiKeyAudit',
        'Query.exchangeAccounts',
        'Query.exchangeBalances',
      ].sort(),
    );
    expect(
      policyEntries(policy, 'invalidates')
        .map(([coordinate]) => coordinate)
        .sort(),
    ).toEqual(['Mutation.cancelOrder', 'Mutation.placeOrder']);
    expect(Object.fromEntries(policyEntries(policy, 'cost'))).toEqual({ 'Token.candles': 10 });
    expect(Object.fromEntries(policyEntries(policy, 'listSize'))).toEqual({
      'Portfolio.positions': { assumedSize: 500 },
    });
  });

  it('is read once per schema and frozen all the way down', () => {
    expect(schemaPolicy(publicSchema)).toBe(policy);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy['Query.apiKeys'])).toBe(true);
    expect(Object.isFrozen(policy['Query.apiKeys']?.scopes)).toBe(true);
    expect(Object.isFrozen(policy['Query.apiKeys']?.scopes?.[0])).toBe(true);
    expect(() => {
      (policy as Record<string, CoordinatePolicy>)['Query.token'] = {};
    }).toThrow(TypeError);
    expect(() => {
      (policy['Query.portfolio']!.scopes![0] as string[]).push('nothing');
    }).toThrow(TypeError);
  });

  it('refuses invalid arguments at boot, naming every coordinate at fault', () => {
    const schema = schemaOf(`
      type Query {
        a: Int @rateLimit(max: 0, window: "1m")
        b: Int @rateLimit(max: 5, window: "2d")
        c: Int @requiresScopes(scopes: [[]])
        d: Int @requiresScopes(scopes: [["market read"]])
        e: Int @cacheControl
        f: Int @cacheControl(maxAge: -5)
        g: Int @listSize(assumedSize: 5)
        h(first: Int, name: String): [Int] @listSize(slicingArguments: ["name", "last"])
        i: Int @cost(weight: -1)
        j: Int @invalidatesCache(scope: USER)
      }
      type Thing @cacheControl(maxAge: -1) { id: ID }
    `);
    let error: unknown;
    try {
      readSchemaPolicy(schema);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaPolicyError);
    expect(
      (error as Error).message
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    ).toEqual([
      'Query.a: @rateLimit max must be a positive integer (got 0)',
      'Query.b: @rateLimit window "2d" must be like 10s, 1m or 1h (at most 1h)',
      'Query.c: @requiresScopes needs non-empty scope lists of non-empty scopes without spaces',
      'Query.d: @requiresScopes needs non-empty scope lists of non-empty scopes without spaces',
      'Query.e: @cacheControl needs maxAge, scope or both',
      'Query.f: @cacheControl maxAge must be an integer >= 0 seconds (got -5)',
      'Query.g: @listSize applies to list fields only (the field is Int)',
      'Query.h: @listSize slicingArguments must name Int or list arguments of the field (not: name, last)',
      'Query.i: @cost weight must be an integer >= 0 (got -1)',
      'Query.j: @invalidatesCache applies to mutation fields only',
      'Thing: @cacheControl maxAge must be an integer >= 0 seconds (got -1)',
    ]);
  });

  it('stops the gateway schema from building with an invalid policy', () => {
    expect(() =>
      buildGatewaySchema([
        {
          name: 'bad',
          typeDefs: 'type Query { price: Int @rateLimit(max: 10, window: "forever") }',
          resolvers: {},
        },
      ]),
    ).toThrow(/Query\.price: @rateLimit window "forever" must be like 10s, 1m or 1h/);
  });

  it('reads slicing arguments, and accepts a schema without any policy', () => {
    const sliced = readSchemaPolicy(
      schemaOf(
        'type Query { items(ids: [ID!], first: Int): [Int] @listSize(assumedSize: 3, slicingArguments: ["ids", "first"]) }',
      ),
    );
    expect(sliced['Query.items']).toEqual({
      listSize: { assumedSize: 3, slicingArguments: ['ids', 'first'] },
    });
    expect(readSchemaPolicy(buildSchema('type Query { a: Int }'))).toEqual({});
  });
});
