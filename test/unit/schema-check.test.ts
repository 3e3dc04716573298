import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildClientSchema,
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
import { buildGatewaySchema } from '../../src/gateway/schema.js';
import { startSwitchyard } from '../../src/main.js';

const operations = loadClientOperations();
const baseline = buildPublicSchema();

/**
 * The public schema with one source's SDL edited (and the resolver of a removed field dropped, as
 * its author would); fails loudly if the edit did not apply.
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
      return { ...definition, typeDefs, resolvers: { ...definition.resolvers, [typeName]: fields } };
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
      schemaWith('market', 'symbol: String!', 'symbol: String!\n  website: String'),
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
