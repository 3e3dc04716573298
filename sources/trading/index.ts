/** The trading source: orders from the trading gRPC service. */
import { readFileSync } from 'node:fs';
import {
  grpcSource,
  type Source,
  type SourceDefinition,
  type SourceSetup,
  TOKEN_REFERENCE,
} from '../../src/gateway/source.js';
import type { GrpcUpstream } from '../../src/upstream/grpc.js';
import { createTradingClient, tradingService } from './client.js';
import { createTradingLoaders } from './loaders.js';
import { createOrderEventFeed } from './order-events.js';
import { type TradingContext, tradingResolvers } from './resolvers.js';

export { tradingService } from './client.js';
export type { TradingLoaders } from './loaders.js';
export type { Order, OrderSide, OrderStatus, OrderType, PlaceOrderInput } from './messages.js';
export type { TradingContext } from './resolvers.js';

/** The source's SDL and resolvers, available without connecting (schema artifacts, checks). */
export const tradingDefinition = {
  name: 'trading',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: tradingResolvers,
} as const satisfies SourceDefinition;

/** Creates the source over a gRPC upstream built with `tradingService`. */
export function createTradingSource(
  upstream: GrpcUpstream,
  { streams }: SourceSetup = {},
): Source<'trading', TradingContext['trading']> {
  const client = createTradingClient(upstream);
  const orderEvents = createOrderEventFeed(client, {
    observer: streams,
    blocked: () => upstream.circuitState() === 'open',
  });
  return {
    ...tradingDefinition,
    createLoaders: (scope) => ({ ...createTradingLoaders(client, scope), orderEvents }),
    ping: (signal) => client.ping(signal),
    close: () => orderEvents.close(),
  };
}

/** The trading source as the gateway plugs it in (sources/index.ts). */
export const tradingSource = grpcSource({
  definition: tradingDefinition,
  service: tradingService,
  variable: 'TRADING_ADDR',
  defaultPort: 7004,
  defaultAdminPort: 7014,
  create: createTradingSource,
  codegen: {
    context: '../resolvers.js#TradingContext',
    mappers: {
      Order: '../messages.js#Order',
      OrderUpdate: '../order-events.js#OrderUpdate',
      Token: TOKEN_REFERENCE,
    },
  },
  sandboxScript: 'sources/trading/sandbox/main.ts',
  loadSandbox: async () => (await import('./sandbox/server.js')).startTradingSandbox,
});
