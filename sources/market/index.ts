/** The market source: owns `Token` (identity, price, candles) and the token queries. */
import { readFileSync } from 'node:fs';
import {
  httpSource,
  type Source,
  type SourceDefinition,
  type SourceSetup,
} from '../../src/gateway/source.js';
import { createLatestValueFeed } from '../../src/streams/latest-value-feed.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { createMarketClient } from './client.js';
import { createMarketLoaders } from './loaders.js';
import { type MarketContext, marketReferences, marketResolvers } from './resolvers.js';

export type { MarketClient } from './client.js';
export type { MarketLoaders } from './loaders.js';
export type { MarketContext, TokenParent } from './resolvers.js';
export type { Candle, CandleInterval, TokenMarket } from './types.js';

/** The source's SDL and resolvers, available without connecting (schema artifacts, checks). */
export const marketDefinition = {
  name: 'market',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: marketResolvers,
  references: marketReferences,
} as const satisfies SourceDefinition;

/** Builds the market source over its upstream (one pooled HttpUpstream per process). */
export function createMarketSource(
  upstream: HttpUpstream,
  { streams }: SourceSetup = {},
): Source<'market', MarketContext['market']> {
  const client = createMarketClient(upstream);
  const prices = createLatestValueFeed({
    name: 'market.prices',
    source: 'market',
    open: (tokenId, signal) => client.streamPrices([tokenId], signal),
    blocked: () => upstream.circuitState() === 'open',
    idOf: (tick) => tick.tokenId,
    observer: streams,
  });
  return {
    ...marketDefinition,
    createLoaders: (scope) => ({ ...createMarketLoaders(client, scope), prices }),
    ping: (signal) => client.ping(signal),
    close: () => prices.close(),
  };
}

/** The market source as the gateway plugs it in (sources/index.ts). */
export const marketSource = httpSource({
  definition: marketDefinition,
  variable: 'MARKET_URL',
  defaultPort: 7001,
  create: createMarketSource,
  codegen: {
    context: '../resolvers.js#MarketContext',
    mappers: {
      Token: '../resolvers.js#TokenParent',
      Price: '../types.js#TokenPrice',
      Candle: '../types.js#Candle',
      PriceUpdate: '../types.js#PriceTick',
    },
  },
  sandboxScript: 'sources/market/sandbox/main.ts',
  loadSandbox: async () => (await import('./sandbox/server.js')).startMarketSandbox,
});
