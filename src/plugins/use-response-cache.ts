/**
 * Response cache (@envelop/response-cache) with Switchyard's policy:
 * - TTLs per type: prices seconds, signals a minute, token metadata an hour, account data seconds;
 *   a response lives as long as its shortest-lived part. Key-admin answers are never cached.
 * - Account data is PRIVATE: anonymous answers are shared, but any answer to an identified
 *   principal is keyed by that principal, so it is never served to another one.
 * - A successful placeOrder/cancelOrder drops every cached answer of the principal that traded.
 * - Cache-Control: `public, max-age=N` for shared answers, `private, no-store` otherwise.
 * The store fails soft (a Redis outage is a miss), so the cache is bypassed, never fatal.
 */
import { defaultBuildResponseCacheKey, useResponseCache } from '@envelop/response-cache';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../gateway/context.js';
import type { ResponseCacheStore } from '../stores/response-cache.js';

export interface ResponseCachePluginOptions {
  cache: ResponseCacheStore;
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
const TRADING_MUTATIONS = new Set(['placeOrder', 'cancelOrder']);

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
  context.principal ? `user:${context.principal.userId}` : null;

export function useGatewayResponseCache({
  cache,
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
    // The session leads the id, so a store can index (and drop) one principal's answers.
    buildResponseCacheKey: async (params) =>
      `${params.sessionId ?? 'public'}|${await defaultBuildResponseCacheKey(params)}`,
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
      const operation = getOperationAST(args.document, args.operationName);
      const context = args.contextValue;
      const trades =
        operation?.operation === 'mutation' &&
        operation.selectionSet.selections.some(
          (s) => s.kind === 'Field' && TRADING_MUTATIONS.has(s.name.value),
        );
      return {
        onExecuteDone({ result }) {
          const session = sessionOf(context);
          const ttl = ttls.get(context);
          const shared =
            operation?.operation === 'query' &&
            !session &&
            ttl !== undefined &&
            ttl > 0 &&
            Number.isFinite(ttl);
          cacheControl.set(
            requestOf(context),
            shared ? `public, max-age=${Math.floor(ttl / 1000)}` : 'private, no-store',
          );
          if (operation?.operation === 'query') onLookup?.(ttl === undefined);
          const succeeded = 'data' in result && result.data && !result.errors?.length;
          if (trades && succeeded && session) return cache.invalidateSession(session);
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
