/** The portfolio source: accounts and positions from the portfolio gRPC service. */
import { readFileSync } from 'node:fs';
import { grpcSource, type Source, type SourceDefinition, TOKEN_REFERENCE } from '../../src/gateway/source.js';
import type { GrpcUpstream } from '../../src/upstream/grpc.js';
import { authorizeAccount } from './authorize.js';
import { createPortfolioClient, portfolioService } from './client.js';
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

/** The portfolio source as the gateway plugs it in (sources/index.ts); it owns account ownership. */
export const portfolioSource = grpcSource({
  definition: portfolioDefinition,
  service: portfolioService,
  variable: 'PORTFOLIO_ADDR',
  defaultPort: 7003,
  defaultAdminPort: 7013,
  create: createPortfolioSource,
  codegen: {
    context: '../resolvers.js#PortfolioContext',
    mappers: {
      Account: '../messages.js#Account',
      Portfolio: '../messages.js#Portfolio',
      Position: '../messages.js#Position',
      Token: TOKEN_REFERENCE,
    },
  },
  sandboxScript: 'sources/portfolio/sandbox/main.ts',
  loadSandbox: async () => (await import('./sandbox/server.js')).startPortfolioSandbox,
  capabilities: { authorizeAccount },
});
