/** The market source: owns `Token` (identity, price, candles) and the token queries. */
import { readFileSync } from 'node:fs';
import type { Source } from '../../src/gateway/source.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { createMarketClient } from './client.js';
import { createMarketLoaders, type MarketLoaders } from './loaders.js';
import { marketResolvers } from './resolvers.js';

export type { MarketClient } from './client.js';
export type { MarketLoaders } from './loaders.js';
export type { MarketContext, TokenParent } from './resolvers.js';
export type { Candle, CandleInterval, TokenMarket } from './types.js';

const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

/** Builds the market source over its upstream (one pooled HttpUpstream per process). */
export function createMarketSource(upstream: HttpUpstream): Source<'market', MarketLoaders> {
  const client = createMarketClient(upstream);
  return {
    name: 'market',
    typeDefs,
    resolvers: marketResolvers,
    createLoaders: (scope) => createMarketLoaders(client, scope),
    ping: (signal) => client.ping(signal),
  };
}
