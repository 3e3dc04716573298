import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildClientSchema,
  buildSchema,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../scripts/schema/allowlist.js';
import { checkSchema, formatSchemaCheck } from '../../scripts/schema/compare.js';
import {
  loadClientOperations,
  OperationFilesError,
  persistedOperationManifest,
} from '../../scripts/schema/operations.js';
import { PUBLIC_SCHEMA_FILE, repoPath } from '../../scripts/schema/paths.js';
import { loadConfig } from '../../src/config.js';
import { buildPublicSchema, printPublicSchema, publicSchemaParts } from '../../src/gateway/public-schema.js';
import type { SourceReferences } from '../../src/gateway/references.js';
import { buildGatewaySchema } from '../../src/gateway/schema.js';
import { startSwitchyard } from '../../src/main.js';

const operations = loadClientOperations();
const baseline = buildPublicSchema();

/**
 * The public schema with one source's SDL edited (and the resolver and reference arguments of a
 * removed field dropped, as its author would); fails loudly if the edit did not apply.
 */
function schemaWith(
  source: string,
  from: string | RegExp,
  to: string,
  removed?: `${string}.${string}`,
): GraphQLSchema {
  return buildGatewaySchema(
    publicSchemaParts().map((definition) => {
      if (definition.name !== source) return definition;
      const typeDefs = definition.typeDefs.replace(from, to);
      if (typeDefs === definition.typeDefs)
        throw new Error(`${source}: ${String(from)} not found in its SDL`);
      if (!removed) return { ...definition, typeDefs };
      const [typeName, fieldName] = removed.split('.') as [string, string];
      const { [fieldName]: _dropped, ...fields } = (definition.resolvers[typeName] ?? {}) as Record<
        string,
        unknown
      >;
      return {
        ...definition,
        typeDefs,
        resolvers: { ...definition.resolvers, [typeName]: fields },
        references: withoutArguments(definition.references, removed),
      };
    }),
  );
}

/** A source's references without the argument entry of a removed field (a boot error otherwise). */
function withoutArguments(references: SourceReferences | undefined, coordinate: string) {
  if (!references) return references;
  return Object.fromEntries(
    Object.entries(references).map(([typeName, reference]) => {
      const { [coordinate]: _dropped, ...kept } = reference.arguments ?? {};
      return [typeName, { ...reference, arguments: kept }];
    }),
  );
}

/** Market without `Token.chain`, which web screens select. */
const withoutTokenChain = () =>
  schemaWith('market', /\n\s*"The chain[^\n]*\n\s*chain: String\n/, '\n', 'Token.chain');

async function check(current: GraphQLSchema, allowlistYaml = '') {
  const result = await checkSchema({
    baseline,
    current,
    operations,
    allowlist: parseAllowlist(allowlistYaml),
  });
  return { result, report: formatSchemaCheck(result, 'test baseline') };
}

const brokenNames = (result: Awaited<ReturnType<typeof check>>['result']) =>
  [...new Set(result.broken.map((problem) => problem.operation.name))].sort();

describe('the public schema artifact', () => {
  it('schema/schema.graphql is what the sources compose to now (run npm run schema:print)', () => {
    expect(readFileSync(repoPath(PUBLIC_SCHEMA_FILE), 'utf8')).toBe(printPublicSchema());
  });

  it('is the schema a running gateway serves (same parts, same composition)', async () => {
    const running = await startSwitchyard(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, false),
      pino({ level: 'silent' }),
    );
    try {
      const response = await fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      });
      const { data } = (await response.json()) as { data: IntrospectionQuery };
      // Introspection shows no applied directives: compare everything else.
      const served = printSchema(lexicographicSortSchema(buildClientSchema(data)));
      expect(served).toBe(printSchema(lexicographicSortSchema(buildPublicSchema())));
    } finally {
      await running.close();
    }
  });

  it('prints types and fields sorted, with the policy directives applied in the sources', () => {
    const schema = buildGatewaySchema([
      {
        name: 'a',
        typeDefs: `directive @audience(name: String!) on FIELD_DEFINITION
          type Query { zebra: String  apple(b: Int, a: Int): String @audience(name: "web") }`,
        resolvers: {},
      },
    ]);
    const printed = printPublicSchema(schema);
    expect(printed).toContain('apple(a: Int, b: Int): String @audience(name: "web")');
    expect(printed.indexOf('apple')).toBeLessThan(printed.indexOf('zebra'));
    expect(printPublicSchema(schema)).toBe(printed);
  });
});

describe('schema:check', () => {
  it('passes with no change and every client operation valid', async () => {
    const { result, report } = await check(buildPublicSchema());
    expect(result.ok).toBe(true);
    expect(result.changes).toEqual([]);
    expect(result.operations).toBe(operations.length);
    expect(report).toContain('schema:check passed');
  });

  it('fails naming the operations and the field when a field they select is removed', async () => {
    const { result, report } = await check(withoutTokenChain());
    expect(result.ok).toBe(false);
    expect(brokenNames(result)).toEqual(['WebTokenDetail', 'WebTokenList']);
    expect(report).toContain(
      'BROKEN  operation WebTokenDetail (web, schema/operations/web/token-detail.graphql)',
    );
    expect(report).toContain('Cannot query field "chain" on type "Token".');
    expect(report).toMatch(/uses Token\.chain: BREAKING FIELD_REMOVED/);
  });

  it('fails naming the operations when a field they select is retyped, though every operation still validates', async () => {
    const { result, report } = await check(schemaWith('market', 'usd: Decimal!', 'usd: Float!'));
    expect(result.ok).toBe(false);
    expect(result.broken.every((problem) => problem.coordinate === 'Price.usd')).toBe(true);
    expect(brokenNames(result)).toEqual(
      operations
        .filter((operation) => operation.body.includes('usd'))
        .map((operation) => operation.name)
        .sort(),
    );
    expect(report).toMatch(/BREAKING\s+FIELD_TYPE_CHANGED\s+Price\.usd/);
    expect(report).toContain('operation WebPortfolio');
  });

  it('fails the senders of an input type that gains a required field', async () => {
    const { result } = await check(
      schemaWith('trading', 'clientOrderId: String!\n}', 'clientOrderId: String!\n  venue: String!\n}'),
    );
    expect(brokenNames(result)).toEqual(['MobilePlaceOrder', 'WebPlaceOrder']);
    expect(result.broken[0]?.coordinate).toBe('PlaceOrderInput');
  });

  it('passes when a field is added, printing it as a safe change', async () => {
    const { result, report } = await check(
      schemaWith('market', 'chain: String', 'chain: String\n  website: String'),
    );
    expect(result.ok).toBe(true);
    expect(result.changes.map(({ change }) => [change.type, change.path, change.criticality.level])).toEqual([
      ['FIELD_ADDED', 'Token.website', 'NON_BREAKING'],
    ]);
    expect(report).toMatch(/NON_BREAKING\s+FIELD_ADDED\s+Token\.website/);
  });

  it('passes a dangerous change, warning the operations that read it', async () => {
    const { result, report } = await check(schemaWith('trading', 'CANCELLED\n', 'CANCELLED\n  EXPIRED\n'));
    expect(result.ok).toBe(true);
    expect(result.changes.map(({ change }) => change.criticality.level)).toEqual(['DANGEROUS']);
    expect(result.warnings.map((w) => w.operation.name)).toContain('WebOrders');
    expect(report).toMatch(/WARNING operation WebOrders/);
  });

  it('fails a breaking change no operation uses unless the allowlist accepts it with a reason', async () => {
    const current = schemaWith(
      'market',
      /\n\s*"Tokens by id[^\n]*\n\s*tokens\(ids: \[ID!\]!\): \[Token\]![^\n]*\n/,
      '\n',
      'Query.tokens',
    );
    const refused = await check(current);
    expect(refused.result.ok).toBe(false);
    expect(refused.result.broken).toEqual([]);
    expect(refused.report).toContain('1 breaking change(s) not in schema/breaking-changes-allowlist.yaml');
    expect(refused.report).toContain('    path: Query.tokens');

    const allowed = await check(
      current,
      'breaking:\n  - type: FIELD_REMOVED\n    path: Query.tokens\n    reason: no client sends it; partners were told on 2026-11-01\n',
    );
    expect(allowed.result.ok).toBe(true);
    expect(allowed.report).toContain('allowed by schema/breaking-changes-allowlist.yaml: no client sends it');
  });

  it('never lets the allowlist excuse a broken client operation', async () => {
    const { result } = await check(
      withoutTokenChain(),
      'breaking:\n  - type: FIELD_REMOVED\n    path: Token.chain\n    reason: chain moves to a Network type\n',
    );
    expect(result.unallowed).toEqual([]);
    expect(result.ok).toBe(false);
  });

  it('passes an output field made nullable for the operations its allowlist entry names as reviewed, and only those', async () => {
    const users = operations
      .filter((operation) => /\busd\b/.test(operation.body))
      .map((o) => o.name)
      .sort();
    const entry = (names: string[]) =>
      `breaking:\n  - type: FIELD_TYPE_CHANGED\n    path: Price.usd\n    reason: a price may be missing\n    operations: [${names.join(', ')}]\n`;
    const loosened = () => schemaWith('market', 'usd: Decimal!', 'usd: Decimal');
    const all = await check(loosened(), entry(users));
    expect(all.result.ok).toBe(true);
    expect(all.report).toContain('(reviewed for this operation: allowlisted)');
    const [first, ...rest] = users;
    const some = await check(loosened(), entry(rest));
    expect(brokenNames(some.result)).toEqual([first]);
    // Naming the operations never excuses a change other than a loss of non-null.
    const retyped = await check(schemaWith('market', 'usd: Decimal!', 'usd: Float!'), entry(users));
    expect(retyped.result.ok).toBe(false);
  });

  it('refuses an allowlist entry without a reason, and reports entries that match nothing', async () => {
    expect(() => parseAllowlist('breaking:\n  - type: FIELD_REMOVED\n    path: Token.chain\n')).toThrow(
      /breaking\[0\]: reason must say why/,
    );
    const { result, report } = await check(
      buildPublicSchema(),
      'breaking:\n  - type: FIELD_REMOVED\n    path: Token.gone\n    reason: removed last quarter\n',
    );
    expect(result.ok).toBe(true);
    expect(report).toContain('entry FIELD_REMOVED Token.gone matches no change');
  });
});

describe('schema:check on policy changes', () => {
  /** The policy changes of a check: [type, path, level]. */
  const policyChangesOf = (result: Awaited<ReturnType<typeof check>>['result']) =>
    result.changes
      .filter(({ change }) => change.type.startsWith('POLICY_'))
      .map(({ change }) => [change.type, change.path, change.criticality.level]);

  it('reports a removed @requiresScopes as dangerous with its coordinate, warning the operations that read it', async () => {
    const { result, report } = await check(
      schemaWith('portfolio', /(portfolio\(accountId: ID!\): Portfolio\n)\s*@requiresScopes\([^\n]*\n/, '$1'),
    );
    expect(result.ok).toBe(true);
    expect(result.changes.map(({ change }) => [change.type, change.path, change.criticality.level])).toEqual([
      ['POLICY_LOOSENED', 'Query.portfolio.@requiresScopes', 'DANGEROUS'],
    ]);
    expect(report).toMatch(
      /DANGEROUS\s+POLICY_LOOSENED\s+Query\.portfolio\.@requiresScopes\s+@requiresScopes on Query\.portfolio: no longer requires scopes \(was portfolio:read\)/,
    );
    expect(report).toContain('why: Looser policy: callers with fewer scopes can now read this field.');
    expect(result.warnings.map((warning) => warning.operation.name)).toContain('WebPortfolio');
  });

  it('judges scopes by who gets through: another alternative loosens, another required scope tightens', async () => {
    const wider = await check(
      schemaWith(
        'keys',
        '@requiresScopes(scopes: [["keys:admin"]])\n    @rateLimit(max: 30',
        '@requiresScopes(scopes: [["keys:admin"], ["keys:audit"]])\n    @rateLimit(max: 30',
      ),
    );
    expect(policyChangesOf(wider.result)).toEqual([
      ['POLICY_LOOSENED', 'Query.apiKeyAudit.@requiresScopes', 'DANGEROUS'],
    ]);
    const narrower = await check(
      schemaWith(
        'trading',
        'cancelOrder(id: ID!): Order!\n    @requiresScopes(scopes: [["trade:write"]])',
        'cancelOrder(id: ID!): Order!\n    @requiresScopes(scopes: [["trade:write", "portfolio:read"]])',
      ),
    );
    expect(policyChangesOf(narrower.result)).toEqual([
      ['POLICY_TIGHTENED', 'Mutation.cancelOrder.@requiresScopes', 'NON_BREAKING'],
    ]);
    expect(narrower.report).toContain(
      '@requiresScopes on Mutation.cancelOrder: requires trade:write and portfolio:read (was trade:write)',
    );
  });

  it('reports a raised @rateLimit, or a shorter window that admits more calls, as dangerous; a lower one as safe', async () => {
    const limit = (to: string) => check(schemaWith('trading', '@rateLimit(max: 10, window: "1m")', to));
    const raised = await limit('@rateLimit(max: 20, window: "1m")');
    expect(policyChangesOf(raised.result)).toEqual([
      ['POLICY_LOOSENED', 'Mutation.placeOrder.@rateLimit', 'DANGEROUS'],
    ]);
    expect(raised.report).toContain(
      '@rateLimit on Mutation.placeOrder: limited to 20 per 1m (was 10 per 1m)',
    );
    const levelOf = async (to: string) => policyChangesOf((await limit(to)).result)[0]?.[2];
    expect(await levelOf('@rateLimit(max: 5, window: "10s")')).toBe('DANGEROUS'); // 30 a minute
    expect(await levelOf('@rateLimit(max: 10, window: "1h")')).toBe('NON_BREAKING');
    expect(await levelOf('@rateLimit(max: 5, window: "30s")')).toBe('NON_BREAKING'); // 10 a minute at most
    expect(await levelOf('')).toBe('DANGEROUS'); // no limit at all
  });

  it('reports a longer or shared @cacheControl as dangerous, a shorter one as safe', async () => {
    const price = (to: string) => check(schemaWith('market', 'type Price @cacheControl(maxAge: 5)', to));
    const longer = await price('type Price @cacheControl(maxAge: 30)');
    expect(policyChangesOf(longer.result)).toEqual([['POLICY_LOOSENED', 'Price.@cacheControl', 'DANGEROUS']]);
    expect(longer.report).toContain('@cacheControl on Price: cached maxAge 30 s (was maxAge 5 s)');
    expect(policyChangesOf((await price('type Price @cacheControl(maxAge: 1)')).result)).toEqual([
      ['POLICY_TIGHTENED', 'Price.@cacheControl', 'NON_BREAKING'],
    ]);
    const shared = await check(
      schemaWith('trading', '@cacheControl(scope: PRIVATE)', '@cacheControl(scope: PUBLIC)'),
    );
    expect(policyChangesOf(shared.result)).toEqual([
      ['POLICY_LOOSENED', 'Query.orders.@cacheControl', 'DANGEROUS'],
    ]);
    const cached = await check(schemaWith('keys', 'type ApiKey @cacheControl(maxAge: 0)', 'type ApiKey'));
    expect(policyChangesOf(cached.result)).toEqual([
      ['POLICY_LOOSENED', 'ApiKey.@cacheControl', 'DANGEROUS'],
    ]);
  });

  it('reports a lower @cost or @listSize as dangerous, a higher one as safe', async () => {
    const cheaper = await check(schemaWith('market', '@cost(weight: 10)', '@cost(weight: 2)'));
    expect(policyChangesOf(cheaper.result)).toEqual([
      ['POLICY_LOOSENED', 'Token.candles.@cost', 'DANGEROUS'],
    ]);
    expect(cheaper.report).toContain('@cost on Token.candles: weighs 2 (was 10)');
    const dearer = await check(schemaWith('market', '@cost(weight: 10)', '@cost(weight: 20)'));
    expect(policyChangesOf(dearer.result)).toEqual([
      ['POLICY_TIGHTENED', 'Token.candles.@cost', 'NON_BREAKING'],
    ]);
    for (const to of ['@listSize(assumedSize: 50)', '']) {
      const smaller = await check(schemaWith('portfolio', '@listSize(assumedSize: 500)', to));
      expect(policyChangesOf(smaller.result)).toEqual([
        ['POLICY_LOOSENED', 'Portfolio.positions.@listSize', 'DANGEROUS'],
      ]);
    }
  });

  it('reports a removed @invalidatesCache or @signed as dangerous, an added one as safe', async () => {
    const stale = await check(
      schemaWith('trading', /(max: 10, window: "1m"\)\n)\s*@invalidatesCache\(scope: USER\)\n/, '$1'),
    );
    expect(policyChangesOf(stale.result)).toEqual([
      ['POLICY_LOOSENED', 'Mutation.placeOrder.@invalidatesCache', 'DANGEROUS'],
    ]);
    const signedAccounts = () =>
      schemaWith('portfolio', 'accounts: [Account!]!\n', 'accounts: [Account!]!\n    @signed\n');
    const added = await check(signedAccounts());
    expect(policyChangesOf(added.result)).toEqual([
      ['POLICY_TIGHTENED', 'Query.accounts.@signed', 'NON_BREAKING'],
    ]);
    const removed = await checkSchema({
      baseline: signedAccounts(),
      current: buildPublicSchema(),
      operations,
      allowlist: [],
    });
    expect(policyChangesOf(removed)).toEqual([['POLICY_LOOSENED', 'Query.accounts.@signed', 'DANGEROUS']]);
  });

  it('reports the policy of a directive the baseline does not define as declared (safe)', async () => {
    const withoutCost = printPublicSchema()
      .replace(/\n"""\n[^"]*"""\ndirective @cost[^\n]*\n/, '\n')
      .replace(' @cost(weight: 10)', '');
    expect(withoutCost).not.toContain('@cost');
    const result = await checkSchema({
      baseline: buildSchema(withoutCost, { assumeValidSDL: true }),
      current: buildPublicSchema(),
      operations,
      allowlist: [],
    });
    expect(result.ok).toBe(true);
    expect(policyChangesOf(result)).toEqual([['POLICY_DECLARED', 'Token.candles.@cost', 'NON_BREAKING']]);
    expect(result.changes.every(({ change }) => change.criticality.level === 'NON_BREAKING')).toBe(true);
    expect(formatSchemaCheck(result, 'test baseline')).toContain(
      '@cost on Token.candles declared in the schema (the baseline has no @cost)',
    );
  });

  it('refuses to build a schema whose policy is invalid, naming each coordinate', () => {
    expect(() =>
      schemaWith(
        'market',
        '@cost(weight: 10)',
        '@cost(weight: -1) @listSize(slicingArguments: ["interval"])',
      ),
    ).toThrow(
      /Token\.candles: @cost weight must be an integer >= 0 \(got -1\)\n\s+Token\.candles: @listSize slicingArguments must name Int or list arguments of the field \(not: interval\)/,
    );
  });
});

describe('client operations', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function folder(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-ops-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('cover the web and mobile screens with one uniquely named operation per file', () => {
    const names = operations.map((operation) => `${operation.client}/${operation.name}`);
    for (const client of ['web', 'mobile']) {
      for (const screen of ['TokenList', 'TokenDetail', 'Portfolio', 'Orders', 'PlaceOrder', 'CancelOrder']) {
        expect(names).toContain(`${client}/${client[0]!.toUpperCase()}${client.slice(1)}${screen}`);
      }
    }
    expect(new Set(operations.map((operation) => operation.name)).size).toBe(operations.length);
  });

  it('list as a persisted-operation manifest whose ids are the sha256 of the normalised body', () => {
    const manifest = persistedOperationManifest(operations);
    expect(manifest.operations).toHaveLength(operations.length);
    for (const entry of manifest.operations) {
      expect(entry.id).toBe(createHash('sha256').update(entry.body).digest('hex'));
      expect(entry.body).not.toContain('#');
    }
    expect(persistedOperationManifest(loadClientOperations())).toEqual(manifest);
  });

  it('refuse files outside a client folder, with several or unnamed operations, or a reused name', () => {
    const dir = folder({
      'loose.graphql': 'query Loose { topTokens { id } }',
      'web/two.graphql': 'query A { topTokens { id } }\nquery B { topTokens { id } }',
      'web/anonymous.graphql': '{ topTokens { id } }',
      'web/first.graphql': 'query Same { topTokens { id } }',
      'mobile/second.graphql': 'query Same { topTokens { symbol } }',
    });
    let error: unknown;
    try {
      loadClientOperations(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OperationFilesError);
    const message = (error as Error).message;
    expect(message).toMatch(/loose\.graphql: must sit in a client folder/);
    expect(message).toMatch(/two\.graphql: must hold exactly one operation \(found 2\)/);
    expect(message).toMatch(/anonymous\.graphql: the operation must be named/);
    expect(message).toMatch(/first\.graphql: operation name Same is already used by .*second\.graphql/);
  });
});
