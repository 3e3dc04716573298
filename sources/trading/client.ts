/** Typed client of the trading gRPC service; the transport (channel, deadline) is injected. */
import { fileURLToPath } from 'node:url';
import { type GrpcUpstream, loadProto, serviceConstructor } from '../../src/upstream/grpc.js';
import type { UpstreamCallScope } from '../../src/upstream/observer.js';
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

/** Per-call options: the request's AbortSignal and id (sent as `x-request-id` metadata). */
export interface TradingCallOptions {
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
  /** The request's telemetry, for metrics, logs and trace propagation. */
  scope?: UpstreamCallScope | undefined;
}

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
  placeOrder(input: PlaceOrderInput, options?: TradingCallOptions): Promise<Order>;
  cancelOrder(orderId: string, options?: TradingCallOptions): Promise<Order>;
  /** Known orders among `ids`; unknown ids are absent. */
  batchGetOrders(ids: readonly string[], options?: TradingCallOptions): Promise<Order[]>;
  /** Newest first. */
  listOrders(accountId: string, filter: ListOrdersFilter, options?: TradingCallOptions): Promise<Order[]>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Creates the typed client over one gRPC upstream built with `tradingService`. */
export function createTradingClient(upstream: GrpcUpstream): TradingClient {
  const call = <Res>(
    method: string,
    request: object,
    { signal, requestId, scope }: TradingCallOptions = {},
  ) => upstream.unary<Res>(method, request, { signal, scope, requestId });
  return {
    async placeOrder(input, options) {
      return toOrder(await call<OrderMessage>('PlaceOrder', toPlaceOrderRequest(input), options));
    },
    async cancelOrder(orderId, options) {
      const request: CancelOrderRequest = { orderId };
      return toOrder(await call<OrderMessage>('CancelOrder', request, options));
    },
    async batchGetOrders(ids, options) {
      const request: BatchGetOrdersRequest = { orderIds: ids };
      return (await call<OrdersResponse>('BatchGetOrders', request, options)).orders.map(toOrder);
    },
    async listOrders(accountId, { status, limit }, options) {
      const request: ListOrdersRequest = { accountId, status: toStatusFilter(status), limit };
      return (await call<OrdersResponse>('ListOrders', request, options)).orders.map(toOrder);
    },
    async ping(signal) {
      await call('Ping', {}, { signal });
    },
  };
}
