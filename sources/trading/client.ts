/** Typed client of the trading gRPC service; the transport (channel, deadline) is injected. */
import { fileURLToPath } from 'node:url';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { isUpstreamError, UpstreamError, type UpstreamErrorCode } from '../../src/upstream/errors.js';
import { type GrpcUpstream, loadProto, serviceConstructor } from '../../src/upstream/grpc.js';
import {
  type BatchGetOrdersRequest,
  type CancelOrderRequest,
  type ListOrdersRequest,
  type Order,
  type OrderEvent,
  type OrderEventMessage,
  type OrderMessage,
  type OrderStatus,
  type OrdersResponse,
  type PlaceOrderInput,
  type StreamOrderEventsRequest,
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
  /**
   * Order events of `accountId` (StreamOrderEvents): every event after `from.afterSequence` (a
   * uint64 decimal string, else BAD_USER_INPUT before any call), then live ones; with `'head'`, live
   * ones only. `order: null` is a marker: every event of the account up to `sequence` has been
   * sent. Unknown account: BAD_USER_INPUT. Not retried: see GrpcUpstream.serverStream. A malformed
   * event throws UPSTREAM_UNAVAILABLE.
   */
  streamOrderEvents(
    accountId: string,
    from: { afterSequence: string } | 'head',
    signal: AbortSignal,
  ): AsyncIterable<OrderEvent>;
}

const UINT64 = /^(?:0|[1-9]\d{0,19})$/;
const UINT64_MAX = 2n ** 64n - 1n;

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
    async *streamOrderEvents(accountId, from, signal) {
      const fail = (failure: UpstreamErrorCode, detail: string) =>
        new UpstreamError(failure, upstream.name, detail);
      const afterSequence = from === 'head' ? '0' : from.afterSequence;
      if (!UINT64.test(afterSequence) || BigInt(afterSequence) > UINT64_MAX) {
        throw fail('BAD_USER_INPUT', 'afterSequence must be a uint64 decimal string');
      }
      const request: StreamOrderEventsRequest = { accountId, afterSequence, fromHead: from === 'head' };
      for await (const message of upstream.serverStream<OrderEventMessage>('StreamOrderEvents', request, {
        signal,
      })) {
        if (!UINT64.test(message.sequence))
          throw fail('UPSTREAM_UNAVAILABLE', 'order event without a sequence');
        if (message.order !== null && message.order.accountId !== accountId) {
          throw fail('UPSTREAM_UNAVAILABLE', 'order event of another account');
        }
        let order: Order | null;
        try {
          order = message.order === null ? null : toOrder(message.order);
        } catch (err) {
          // An order the gateway cannot represent: the stream is broken, not the client's input.
          throw isUpstreamError(err) ? err : fail('UPSTREAM_UNAVAILABLE', 'malformed order event');
        }
        yield { sequence: message.sequence, order };
      }
    },
  };
}
