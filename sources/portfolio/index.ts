/** The portfolio source: accounts and positions from the portfolio gRPC service. */
import { readFileSync } from 'node:fs';
import type { Source, SourceDefinition } from '../../src/gateway/source.js';
import type { GrpcUpstream } from '../../src/upstream/grpc.js';
import { createPortfolioClient } from './client.js';
import { createPortfolioLoaders, type PortfolioLoaders } from './loaders.js';
import { portfolioResolvers } from './resolvers.js';

export { authorizeAccount } from './authorize.js';
export { portfolioService } from './client.js';
export type { PortfolioLoaders } from './loaders.js';
export type { Account, Portfolio, Position } from './messages.js';
export type { PortfolioContext } from './resolvers.js';

/** The source's SDL and resolvers, available without connecting (schema artifacts, checks). */
export const portfolioDefinition = {
  name: 'portfolio',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: portfolioResolvers,
} as const satisfies SourceDefinition;

/** Creates the source over a gRPC upstream built with `portfolioService`. */
export function createPortfolioSource(upstream: GrpcUpstream): Source<'portfolio', PortfolioLoaders> {
  const client = createPortfolioClient(upstream);
  return {
    ...portfolioDefinition,
    createLoaders: (scope) => createPortfolioLoaders(client, scope),
    ping: (signal) => client.ping(signal),
  };
}
