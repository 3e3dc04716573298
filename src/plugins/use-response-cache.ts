/**
 * Response cache (@envelop/response-cache) with Switchyard's policy:
 * - TTLs per type: prices seconds, signals a minute, token metadata an hour, account data seconds;
 *   a response lives as long as its shortest-lived part. Key-admin answers are never cached.
 * - Account data is PRIVATE: anonymous answers are shared, but any answer to an identified
 *   principal is keyed by that principal, so it is never served to another one.
 * - A successful placeOrder/cancelOrder (however the document spells it) drops every cached answer
 *   of the user that traded.
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
import type { Principal } from '../auth/principal.js';
import type { GatewayContext } from '../gateway/context.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import type { ResponseCacheStore } from '../stores/response-cache.js';

export interface ResponseCachePluginOptions {
  cache: ResponseCacheStore;
  /** The shared operation analysis (which mutations trade). */
  analyzer: OperationAnalyzer;
  /**
   * TTL in ms per type or `Type.field`; a response takes the smallest of what it contains.
   * @default prices 5 s, signals 60 s, tokens 1 h, candles 60 s, account data 15 s, orders 5 s, key admin 0
   */
  ttlPerSchemaCoordinate?: Record<string, number>;
  /** TTL of answers containing none of the above, in ms. @default 10000 */
  defaultTtlMs?: number;
  /** Told about every cacheable query: hit or miss (metrics). */
  onLookup?: (hit: boolean) => void;
}

/** Mutations after which the trading principal's cached answers are dropped. */
const TRADING_MUTATIONS = new Set(['Mutation.placeOrder', 'Mutation.cancelOrder']);

export const defaultTtlPerSchemaCoordinate: Record<string, number> = {
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
};

const sessionOf = (context: GatewayContext) =>
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
  ttlPerSchemaCoordinate = defaultTtlPerSchemaCoordinate,
  defaultTtlMs = 10_000,
  onLookup,
}: ResponseCachePluginOptions): Plugin<GatewayContext>[] {
  const ttls = new WeakMap<object, number>();
  const cacheControl = new WeakMap<Request, string>();
  const requestOf = (context: GatewayContext) => (context as GatewayContext & { request: Request }).request;

  const responseCache = useResponseCache<GatewayContext>({
    cache,
    session: sessionOf,
    ttl: defaultTtlMs,
    ttlPerSchemaCoordinate,
    scopePerSchemaCoordinate: {
      'Query.portfolio': 'PRIVATE',
      'Query.accounts': 'PRIVATE',
      'Query.orders': 'PRIVATE',
      'Query.apiKeys': 'PRIVATE',
      'Query.apiKeyAudit': 'PRIVATE',
    },
    idFields: ['id', 'accountId'],
    // The session (the user) leads the id, so a store can index (and drop) one user's answers.
    buildResponseCacheKey: async (params) =>
      `${params.sessionId ?? 'public'}|${principalFingerprint((params.context as GatewayContext).principal)}|${await defaultBuildResponseCacheKey(params)}`,
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
  const policy: Plugin<GatewayContext> = {
    onExecute({ args }) {
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      const kind = analysis?.kind;
      const context = args.contextValue;
      const trades = kind === 'mutation' && analysis!.rootFields.some((c) => TRADING_MUTATIONS.has(c));
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
          // Even a partly failed trading operation may have placed an order: drop the user's answers.
          if (trades && session && 'data' in result && result.data) return cache.invalidateSession(session);
          return undefined;
        },
      };
    },
    onResponse({ request, response }) {
      const value = cacheControl.get(request);
      if (value && !response.headers.has('cache-control')) response.headers.set('Cache-Control', value);
    },
  };
  return [responseCache as Plugin<GatewayContext>, policy];
}
