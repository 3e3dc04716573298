/**
 * Response cache (@envelop/response-cache) with Switchyard's policy, declared in the SDL and read
 * from the schema's policy (schema-policy.ts):
 * - TTLs per type from `@cacheControl(maxAge)`: prices seconds, signals a minute, token metadata an
 *   hour, account data seconds; a response lives as long as its shortest-lived part. Key-admin
 *   answers are never cached (`maxAge: 0`).
 * - Account data is `@cacheControl(scope: PRIVATE)`: anonymous answers are shared, but any answer to
 *   an identified principal is keyed by that principal, so it is never served to another one.
 * - A successful mutation marked `@invalidatesCache(scope: USER)` (placeOrder, cancelOrder; however
 *   the document spells it) drops every cached answer of the user that called it.
 * - Cache-Control: `public, max-age=N` for shared answers, `private, no-store` otherwise.
 * The store fails soft (a Redis outage is a miss), so the cache is bypassed, never fatal.
 *
 * Why a hit can never serve what a miss would refuse: an answer is a function of the document, the
 * operation name, the variables and what resolvers read of the caller — the user (account
 * ownership), the client (key administration) and the scopes (`@requiresScopes`). The cache key is
 * all of these: `<user>|<fingerprint of via, client, user and sorted scopes>|<hash of document,
 * operation name, variables>`. A weaker credential of the same user has other scopes, hence another
 * key, hence a miss that executes with every check. Answers with errors (a refused field, a rate
 * limit) are never stored, and every check that runs before execution (authentication, signature,
 * rate limits, cost) runs before the lookup, so a hit skips none of them.
 */
import { createHash } from 'node:crypto';
import { defaultBuildResponseCacheKey, useResponseCache } from '@envelop/response-cache';
import type { Plugin } from 'graphql-yoga';
import type { Principal, PrincipalContext } from '../auth/principal.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import { policyEntries } from '../gateway/schema-policy.js';
import type { ResponseCacheStore } from '../stores/response-cache.js';

export interface ResponseCachePluginOptions {
  cache: ResponseCacheStore;
  /** The shared operation analysis (which mutations invalidate) and the schema's cache policy. */
  analyzer: OperationAnalyzer;
  /** TTL of answers holding no type or field with a `@cacheControl(maxAge)`, in ms. @default 10000 */
  defaultTtlMs?: number;
  /** Told about every cacheable query: hit or miss (metrics). */
  onLookup?: (hit: boolean) => void;
}

const sessionOf = (context: PrincipalContext) =>
  context.principal ? `user:${encodeURIComponent(context.principal.userId)}` : null;

/** Everything of a principal that an answer can depend on, hashed (it is part of every private key). */
export function principalFingerprint(principal: Principal | null): string {
  if (!principal) return 'anonymous';
  const scopes = [...principal.scopes].sort().join(' ');
  return createHash('sha256')
    .update(JSON.stringify([principal.via, principal.clientId, principal.userId, scopes]))
    .digest('base64url');
}

export function useGatewayResponseCache({
  cache,
  analyzer,
  defaultTtlMs = 10_000,
  onLookup,
}: ResponseCachePluginOptions): Plugin<PrincipalContext>[] {
  // The library reads @cacheControl itself too (same values); these copies are what it is given,
  // mutable because it writes into them.
  const ttlPerSchemaCoordinate: Record<string, number> = {};
  const scopePerSchemaCoordinate: Record<string, 'PUBLIC' | 'PRIVATE'> = {};
  for (const [coordinate, { maxAge, scope }] of policyEntries(analyzer.policy, 'cacheControl')) {
    if (maxAge !== undefined) ttlPerSchemaCoordinate[coordinate] = maxAge * 1000;
    if (scope) scopePerSchemaCoordinate[coordinate] = scope;
  }
  /** Mutations after which the calling user's cached answers are dropped (USER is the only scope). */
  const invalidatesUser = new Set(
    policyEntries(analyzer.policy, 'invalidates').map(([coordinate]) => coordinate),
  );
  const ttls = new WeakMap<object, number>();
  const cacheControl = new WeakMap<Request, string>();
  const requestOf = (context: PrincipalContext) =>
    (context as PrincipalContext & { request: Request }).request;

  const responseCache = useResponseCache<PrincipalContext>({
    cache,
    session: sessionOf,
    ttl: defaultTtlMs,
    ttlPerSchemaCoordinate,
    scopePerSchemaCoordinate,
    idFields: ['id', 'accountId'],
    // The session (the user) leads the id, so a store can index (and drop) one user's answers.
    buildResponseCacheKey: async (params) =>
      `${params.sessionId ?? 'public'}|${principalFingerprint((params.context as PrincipalContext).principal)}|${await defaultBuildResponseCacheKey(params)}`,
    onTtl: ({ ttl, context }) => {
      ttls.set(context, ttl);
      return ttl;
    },
    includeExtensionMetadata: false,
    // Answers with errors are not cached (the library's default, without its console warning).
    shouldCacheResult: ({ result }) => !result.errors?.length,
    // `Cache-Control: no-cache` on the request skips the lookup (the fresh answer is still stored).
    enabled: (context) => !/no-cache/i.test(requestOf(context).headers.get('cache-control') ?? ''),
  });

  // Registered after the cache plugin: its onExecuteDone runs once the cache has decided the TTL.
  const policy: Plugin<PrincipalContext> = {
    onExecute({ args }) {
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      const kind = analysis?.kind;
      const context = args.contextValue;
      const invalidates = kind === 'mutation' && analysis!.rootFields.some((c) => invalidatesUser.has(c));
      return {
        onExecuteDone({ result }) {
          const session = sessionOf(context);
          const ttl = ttls.get(context);
          const shared = kind === 'query' && !session && ttl !== undefined && ttl > 0 && Number.isFinite(ttl);
          cacheControl.set(
            requestOf(context),
            shared ? `public, max-age=${Math.floor(ttl / 1000)}` : 'private, no-store',
          );
          if (kind === 'query') onLookup?.(ttl === undefined);
          // Even a partly failed operation may have acted (placed an order): drop the user's answers.
          if (invalidates && session && 'data' in result && result.data)
            return cache.invalidateSession(session);
          return undefined;
        },
      };
    },
    onResponse({ request, response }) {
      const value = cacheControl.get(request);
      if (value && !response.headers.has('cache-control')) response.headers.set('Cache-Control', value);
    },
  };
  return [responseCache as Plugin<PrincipalContext>, policy];
}
