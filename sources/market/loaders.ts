/** Per-request DataLoaders of the market source: one upstream call per tick, whatever the fan-out. */
import type DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import { createBatchLoader } from '../../src/upstream/batch-loader.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import type { MarketClient } from './client.js';
import { type Candle, type CandleInterval, MAX_BATCH_IDS, type TokenMarket } from './types.js';

/** What `Token.candles` asks for. */
export interface CandlesKey {
  readonly id: string;
  readonly interval: CandleInterval;
  readonly limit: number;
}

/** One page of the market-cap ranking. */
export interface TopTokensKey {
  readonly limit: number;
  readonly offset: number;
}

/** The market source's loaders, placed on the context as `context.market`. */
export interface MarketLoaders {
  /** Tokens by id; null for ids the market does not know. */
  readonly tokens: DataLoader<string, TokenMarket | null>;
  /** Candles by token, interval and limit; null for an unknown token. */
  readonly candles: DataLoader<CandlesKey, Candle[] | null, string>;
  /** Pages of the market-cap ranking; their tokens are primed into `tokens`. */
  readonly topTokens: DataLoader<TopTokensKey, TokenMarket[], string>;
}

/** Creates fresh loaders for one request; upstream calls carry the request's signal and id. */
export function createMarketLoaders(client: MarketClient, scope: RequestScope): MarketLoaders {
  const calls = createUpstreamCalls(scope);

  const tokens = createBatchLoader(calls, {
    batch: (ids, options) => client.getTokens(ids, options),
    keyOf: (token) => token.id,
    maxBatchSize: MAX_BATCH_IDS,
  });

  // The upstream has no batch endpoint for candles: one call per distinct key, failing alone.
  const candles = createBatchLoader(calls, {
    each: ({ id, interval, limit }: CandlesKey, options) => client.getCandles(id, interval, limit, options),
    cacheKeyFn: ({ id, interval, limit }) => `${id}\n${interval}\n${limit}`,
  });

  const topTokens = createBatchLoader(calls, {
    each: async ({ limit, offset }: TopTokensKey, options) =>
      (await client.listTokens(limit, offset, options)).data,
    cacheKeyFn: ({ limit, offset }) => `${limit}:${offset}`,
    onLoad: (_key, page) => {
      for (const token of page) tokens.prime(token.id, token);
    },
  });

  return { tokens, candles, topTokens };
}
