/** Per-request DataLoaders of the market source: one upstream call per tick, whatever the fan-out. */
import DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import { isUpstreamError } from '../../src/upstream/errors.js';
import type { MarketCallOptions, MarketClient } from './client.js';
import { toMarketClientError } from './errors.js';
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
  const options: MarketCallOptions = {
    signal: scope.signal,
    requestId: scope.requestId,
    scope: scope.telemetry,
  };

  // Logged here because the client error keeps nothing of the cause: the detail (status, host,
  // undici code) is only ever seen in server logs.
  const fail = (err: unknown): unknown => {
    if (isUpstreamError(err)) scope.log.warn({ err, source: 'market', code: err.code }, 'market call failed');
    return toMarketClientError(err);
  };
  const asError = (err: unknown): Error => {
    const mapped = fail(err);
    return mapped instanceof Error ? mapped : new Error(String(mapped));
  };

  const tokens = new DataLoader<string, TokenMarket | null>(
    async (ids) => {
      let found: TokenMarket[];
      try {
        found = await client.getTokens(ids, options);
      } catch (err) {
        throw fail(err);
      }
      const byId = new Map(found.map((token) => [token.id, token]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: MAX_BATCH_IDS },
  );

  // The upstream has no batch endpoint for candles: one call per distinct key, failing alone.
  const candles = new DataLoader<CandlesKey, Candle[] | null, string>(
    (keys) =>
      Promise.all(
        keys.map(({ id, interval, limit }) => client.getCandles(id, interval, limit, options).catch(asError)),
      ),
    { cacheKeyFn: ({ id, interval, limit }) => `${id}\n${interval}\n${limit}` },
  );

  const topTokens = new DataLoader<TopTokensKey, TokenMarket[], string>(
    (keys) =>
      Promise.all(
        keys.map(({ limit, offset }) =>
          client.listTokens(limit, offset, options).then((page) => {
            for (const token of page.data) tokens.prime(token.id, token);
            return page.data;
          }, asError),
        ),
      ),
    { cacheKeyFn: ({ limit, offset }) => `${limit}:${offset}` },
  );

  return { tokens, candles, topTokens };
}
