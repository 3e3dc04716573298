/**
 * Per-request access to trading: the `orders` DataLoader (one BatchGetOrders per tick, results in
 * key order, a failed batch rejects every key with the same client error) and the other calls,
 * bound to the request's signal and id, with their failures already mapped to client errors.
 */
import DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import type { ListOrdersFilter, TradingClient } from './client.js';
import { toCancelOrderError, toPlaceOrderError, toTradingError } from './errors.js';
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
  const options = { signal: scope.signal, requestId: scope.requestId, scope: scope.telemetry };
  // Nobody reads the outcome of a request whose client has gone: do not log its aborted calls.
  const log = () => (scope.signal.aborted ? undefined : scope.log);

  const orders = new DataLoader<string, Order | null>(
    async (ids) => {
      let found: Order[];
      try {
        found = await client.batchGetOrders(ids, options);
      } catch (err) {
        throw toTradingError(err, log());
      }
      const byId = new Map(found.map((o) => [o.id, o]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: MAX_BATCH_IDS, name: 'trading.orders' },
  );

  const remember = (order: Order): Order => {
    orders.clear(order.id).prime(order.id, order);
    return order;
  };

  return {
    orders,
    async listOrders(accountId, filter) {
      try {
        return (await client.listOrders(accountId, filter, options)).map(remember);
      } catch (err) {
        throw toTradingError(err, log());
      }
    },
    async placeOrder(input) {
      try {
        return remember(await client.placeOrder(input, options));
      } catch (err) {
        throw toPlaceOrderError(err, input.clientOrderId, log());
      }
    },
    async cancelOrder(orderId) {
      try {
        return remember(await client.cancelOrder(orderId, options));
      } catch (err) {
        throw toCancelOrderError(err, log());
      }
    },
  };
}
