/** Typed client of the trading gRPC service; the transport (channel, deadline) is injected. */
import { fileURLToPath } from 'node:url';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { type GrpcUpstream, loadProto, serviceConstructor } from '../../src/upstream/grpc.js';
import {
  type BatchGetOrdersRequest,
  type CancelOrderRequest,
  type ListOrdersRequest,
  type Order,
  type OrderMessage,
  type OrderStatus,
  type OrdersResponse,
  type PlaceOrderInput,
  toOrder,
  toPlaceOrderRequest,
  toStatusFilter,
} from './messages.js';

/** The `switchyard.trading.v1.TradingService` constructor, for `createGrpcUpstream` and the sandbox. */
export const tradingService = serviceConstructor(
  loadProto(fileURLToPath(new URL('./trading.proto', import.meta.url))),
  'switchyard.trading.v1.TradingService',
);

/** Which orders of an account to list. */
export interface ListOrdersFilter {
  /** null lists every status. */
  status: OrderStatus | null;
  /** 1..1000. */
  limit: number;
}

/** The trading RPCs, typed. Failures reject with UpstreamError (see src/upstream/grpc.ts). */
export interface TradingClient {
  /** Never retried: a timeout leaves it unknown whether the order was placed. */
  placeOrder(input: PlaceOrderInput, options?: UpstreamCallOptions): Promise<Order>;
  cancelOrder(orderId: string, options?: UpstreamCallOptions): Promise<Order>;
  /** Known orders among `ids`; unknown ids are absent. */
  batchGetOrders(ids: readonly string[], options?: UpstreamCallOptions): Promise<Order[]>;
  /** Newest first. */
  listOrders(accountId: string, filter: ListOrdersFilter, options?: UpstreamCallOptions): Promise<Order[]>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Creates the typed client over one gRPC upstream built with `tradingService`. */
export function createTradingClient(upstream: GrpcUpstream): TradingClient {
  return {
    async placeOrder(input, options) {
      return toOrder(await upstream.unary<OrderMessage>('PlaceOrder', toPlaceOrderRequest(input), options));
    },
    async cancelOrder(orderId, options) {
      const request: CancelOrderRequest = { orderId };
      return toOrder(await upstream.unary<OrderMessage>('CancelOrder', request, options));
    },
    async batchGetOrders(ids, options) {
      const request: BatchGetOrdersRequest = { orderIds: ids };
      return (await upstream.unary<OrdersResponse>('BatchGetOrders', request, options)).orders.map(toOrder);
    },
    async listOrders(accountId, { status, limit }, options) {
      const request: ListOrdersRequest = { accountId, status: toStatusFilter(status), limit };
      return (await upstream.unary<OrdersResponse>('ListOrders', request, options)).orders.map(toOrder);
    },
    async ping(signal) {
      await upstream.unary('Ping', {}, { signal });
    },
  };
}
