/**
 * Per-request access to trading: the `orders` DataLoader (one BatchGetOrders per tick, results in
 * key order, a failed batch rejects every key with the same client error) and the other calls,
 * bound to the request's signal and id, with their failures already mapped to client errors.
 */
import type DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import { createBatchLoader } from '../../src/upstream/batch-loader.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import type { ListOrdersFilter, TradingClient } from './client.js';
import { cancelOrderFailures, placeOrderFailures } from './errors.js';
import type { Order, PlaceOrderInput } from './messages.js';

/** Most ids one batch RPC accepts (trading.proto). */
const MAX_BATCH_IDS = 1000;

/** The trading loaders and calls of one request (context.trading). */
export interface TradingLoaders {
  /** Orders by id (BatchGetOrders); null when unknown. */
  readonly orders: DataLoader<string, Order | null>;
  /** Orders of an account, newest first; primes `orders`. */
  listOrders(accountId: string, filter: ListOrdersFilter): Promise<Order[]>;
  /** One PlaceOrder call, never retried; a timeout is reported as ambiguous. */
  placeOrder(input: PlaceOrderInput): Promise<Order>;
  /** One CancelOrder call; an order that is not OPEN is BAD_USER_INPUT. */
  cancelOrder(orderId: string): Promise<Order>;
}

/** Creates fresh loaders bound to the request's signal and id. */
export function createTradingLoaders(client: TradingClient, scope: RequestScope): TradingLoaders {
  const calls = createUpstreamCalls(scope);

  const orders = createBatchLoader(calls, {
    name: 'trading.orders',
    batch: (ids, options) => client.batchGetOrders(ids, options),
    keyOf: (order) => order.id,
    maxBatchSize: MAX_BATCH_IDS,
  });

  const remember = (order: Order): Order => {
    orders.clear(order.id).prime(order.id, order);
    return order;
  };

  return {
    orders,
    async listOrders(accountId, filter) {
      return (await calls.run((options) => client.listOrders(accountId, filter, options))).map(remember);
    },
    async placeOrder(input) {
      const failures = placeOrderFailures(input.clientOrderId);
      return remember(await calls.run((options) => client.placeOrder(input, options), failures));
    },
    async cancelOrder(orderId) {
      return remember(
        await calls.run((options) => client.cancelOrder(orderId, options), cancelOrderFailures),
      );
    },
  };
}
