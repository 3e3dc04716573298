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
 * - Cache-Control: `public, max-age=N` for shared answers that are stored, `private, no-store`
 *   otherwise. The header is decided when an answer is stored and kept with the entry, so a hit
 *   (on any instance) answers the same Cache-Control as the miss that stored it, plus `Age`.
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
import { type BuildResponseCacheKeyFunction, type Cache, useResponseCache } from '@envelop/response-cache';
import stableStringify from 'fast-json-stable-stringify';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal, PrincipalContext } from '../auth/principal.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import { requestSlot } from '../gateway/request-slot.js';
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
  /** @default Date.now */
  now?: () => number;
}

/** What a stored answer keeps beside its result: its Cache-Control and when it was stored. */
interface StoredPolicy {
  cacheControl: string;
  storedAt: number;
}

/** Where the policy rides in a stored result (stripped before the result is served). */
const POLICY = 'switchyardCachePolicy';

function withPolicy(result: ExecutionResult, policy: StoredPolicy): ExecutionResult {
  return { ...result, extensions: { ...result.extensions, [POLICY]: policy } };
}

function withoutPolicy(stored: ExecutionResult): {
  result: ExecutionResult;
  policy: StoredPolicy | undefined;
} {
  const { [POLICY]: policy, ...extensions } = stored.extensions ?? {};
  const { extensions: _, ...rest } = stored;
  const result = Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
  return { result, policy: isStoredPolicy(policy) ? policy : undefined };
}

function isStoredPolicy(value: unknown): value is StoredPolicy {
  const policy = value as Partial<StoredPolicy> | null | undefined;
  return typeof policy?.cacheControl === 'string' && typeof policy.storedAt === 'number';
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

/**
 * The library's default key (`defaultBuildResponseCacheKey`: SHA-256 of the document, operation
 * name, variables and session), computed with node:crypto in the same tick: the default hashes
 * through WebCrypto, a promise per request that cost a cache hit ~10% of its CPU (profiled). Same
 * input, same hex digest, so entries stored under the default stay valid.
 */
export const operationKey = (params: Parameters<BuildResponseCacheKeyFunction>[0]): string =>
  createHash('sha256')
    .update(
      [
        params.documentString,
        params.operationName ?? '',
        stableStringify(params.variableValues ?? {}),
        params.sessionId ?? '',
      ].join('|'),
    )
    .digest('hex');

export function useGatewayResponseCache({
  cache,
  analyzer,
  defaultTtlMs = 10_000,
  onLookup,
  now = Date.now,
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
  /** Per request: whether the cache was looked up, and the policy of what it answered or stored. */
  const lookups = requestSlot<object, { hit: boolean }>('responseCacheLookup');
  const policies = requestSlot<object, StoredPolicy & { hit: boolean }>('responseCachePolicy');
  const headers = requestSlot<Request, { cacheControl: string; age?: number }>('responseCacheHeaders');
  const requestOf = (context: PrincipalContext) =>
    (context as PrincipalContext & { request: Request }).request;

  /**
   * The store as one request sees it: a stored answer takes its Cache-Control along (decided here,
   * from the TTL the library settled on and the caller), a hit brings it back and is served without it.
   */
  const cacheOf = (context: PrincipalContext): Cache => ({
    async get(responseId) {
      const stored = await cache.get(responseId);
      lookups.set(context, { hit: stored != null });
      if (stored == null) return stored;
      const { result, policy } = withoutPolicy(stored);
      // An entry stored before policies were kept with entries: never served as shared.
      policies.set(context, {
        ...(policy ?? { cacheControl: 'private, no-store', storedAt: now() }),
        hit: true,
      });
      return result;
    },
    set(responseId, result, entities, ttl) {
      const shared = !sessionOf(context) && ttl > 0 && Number.isFinite(ttl);
      const policy = {
        cacheControl: shared ? `public, max-age=${Math.floor(ttl / 1000)}` : 'private, no-store',
        storedAt: now(),
      };
      policies.set(context, { ...policy, hit: false });
      return cache.set(responseId, withPolicy(result, policy), entities, ttl);
    },
    invalidate: (entities) => cache.invalidate(entities),
  });

  const responseCache = useResponseCache<PrincipalContext>({
    cache: (context) => cacheOf(context as PrincipalContext),
    session: sessionOf,
    ttl: defaultTtlMs,
    ttlPerSchemaCoordinate,
    scopePerSchemaCoordinate,
    idFields: ['id', 'accountId'],
    // The session (the user) leads the id, so a store can index (and drop) one user's answers.
    buildResponseCacheKey: (params) =>
      `${params.sessionId ?? 'public'}|${principalFingerprint((params.context as PrincipalContext).principal)}|${operationKey(params)}`,
    includeExtensionMetadata: false,
    // Answers with errors are not cached (the library's default, without its console warning).
    shouldCacheResult: ({ result }) => !result.errors?.length,
    // `Cache-Control: no-cache` on the request skips the cache: no lookup, and the answer is not stored.
    enabled: (context) => !/no-cache/i.test(requestOf(context).headers.get('cache-control') ?? ''),
  });

  // Registered after the cache plugin: its onExecuteDone runs once the cache has looked up or stored.
  const policy: Plugin<PrincipalContext> = {
    onExecute({ args }) {
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      const kind = analysis?.kind;
      const context = args.contextValue;
      const invalidates = kind === 'mutation' && analysis!.rootFields.some((c) => invalidatesUser.has(c));
      return {
        onExecuteDone({ result }) {
          const session = sessionOf(context);
          // Public only for an answer stored as shared (or a hit on one): anything else is private.
          const stored = kind === 'query' ? policies.get(context) : undefined;
          headers.set(
            requestOf(context),
            stored?.hit
              ? {
                  cacheControl: stored.cacheControl,
                  age: Math.max(0, Math.floor((now() - stored.storedAt) / 1000)),
                }
              : { cacheControl: stored?.cacheControl ?? 'private, no-store' },
          );
          const lookup = lookups.get(context);
          if (kind === 'query' && lookup) onLookup?.(lookup.hit);
          // Even a partly failed operation may have acted (placed an order): drop the user's answers.
          if (invalidates && session && 'data' in result && result.data)
            return cache.invalidateSession(session);
          return undefined;
        },
      };
    },
    onResponse({ request, response }) {
      const value = headers.get(request);
      if (!value || response.headers.has('cache-control')) return;
      response.headers.set('Cache-Control', value.cacheControl);
      if (value.age !== undefined) response.headers.set('Age', String(value.age));
    },
  };
  return [responseCache as Plugin<PrincipalContext>, policy];
}
