/**
 * A fake trading service over real gRPC, with fault knobs. Each instance starts from the universe's
 * seed orders; new orders get ids ord-1001, ord-1002, …; MARKET orders fill at once, LIMIT orders
 * stay OPEN. PlaceOrder is idempotent on (account_id, client_order_id), as the contract says.
 * Every order created or cancelled appends an event to the order log (events.ts) that
 * StreamOrderEvents replays and streams.
 */
import { status } from '@grpc/grpc-js';
import {
  type GrpcServerStream,
  grpcStatusError,
  requireIds,
  startGrpcSandbox,
} from '../../sandbox-kit/grpc.js';
import type { RunningSandbox, SandboxOptions } from '../../sandbox-kit/types.js';
import { accountsById, seedOrders, tokensById } from '../../sandbox-kit/universe.js';
import { tradingService } from '../client.js';
import {
  type BatchGetOrdersRequest,
  type CancelOrderRequest,
  type ListOrdersRequest,
  type OrderEventMessage,
  type OrderMessage,
  type OrdersResponse,
  type PlaceOrderRequest,
  type StreamOrderEventsRequest,
  toOrderMessage,
} from '../messages.js';
import { createOrderLog } from './events.js';

export interface TradingSandboxOptions extends SandboxOptions {
  /** Clock of `created_at` for new orders. @default () => new Date() */
  now?: () => Date;
}

export interface TradingSandbox extends RunningSandbox {
  /** Every order the sandbox holds (seeds included), in creation order, as copies. */
  orders(): readonly OrderMessage[];
  /** Every order event so far (seeds have none), oldest first, as copies. */
  events(): readonly OrderEventMessage[];
}

const DECIMAL = /^(?:0|[1-9]\d{0,37})(?:\.\d{1,18})?$/;
const CLIENT_ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;

function invalid(details: string): Error {
  return grpcStatusError(status.INVALID_ARGUMENT, details);
}

/** A decimal > 0 in plain notation, without trailing fractional zeros ("1.50" → "1.5"), or null. */
function positiveDecimal(value: string): string | null {
  if (!DECIMAL.test(value) || !/[1-9]/.test(value)) return null;
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

function validPlaceOrder(request: PlaceOrderRequest): PlaceOrderRequest {
  if (!accountsById.has(request.accountId)) throw invalid('unknown account_id');
  if (!tokensById.has(request.tokenId)) throw invalid('unknown token_id');
  if (request.side === 'ORDER_SIDE_UNSPECIFIED') throw invalid('side is required');
  if (request.type === 'ORDER_TYPE_UNSPECIFIED') throw invalid('type is required');
  const quantity = positiveDecimal(request.quantity);
  if (quantity === null) throw invalid('quantity must be a decimal greater than zero');
  let limitPrice = '';
  if (request.type === 'ORDER_TYPE_LIMIT') {
    limitPrice = positiveDecimal(request.limitPrice) ?? '';
    if (limitPrice === '') throw invalid('limit_price must be a decimal greater than zero for LIMIT orders');
  } else if (request.limitPrice !== '') {
    throw invalid('limit_price must be empty for MARKET orders');
  }
  if (!CLIENT_ORDER_ID.test(request.clientOrderId))
    throw invalid('client_order_id must be 1-64 of [A-Za-z0-9_-]');
  return { ...request, quantity, limitPrice };
}

function sameParameters(order: OrderMessage, request: PlaceOrderRequest): boolean {
  return (
    order.tokenId === request.tokenId &&
    order.side === request.side &&
    order.type === request.type &&
    order.quantity === request.quantity &&
    order.limitPrice === request.limitPrice
  );
}

/** Newest first; orders created in the same millisecond by id number, higher first. */
function newestFirst(a: OrderMessage, b: OrderMessage): number {
  const byTime = b.createdAt.localeCompare(a.createdAt);
  return byTime !== 0 ? byTime : Number(b.id.slice(4)) - Number(a.id.slice(4));
}

/** Starts the sandbox on `port` (gRPC) and `adminPort` (HTTP admin routes), 0 meaning a free port. */
export async function startTradingSandbox({
  now = () => new Date(),
  ...options
}: TradingSandboxOptions = {}): Promise<TradingSandbox> {
  const orders = new Map<string, OrderMessage>();
  const byClientKey = new Map<string, OrderMessage>();
  const clientKey = (accountId: string, clientOrderId: string) => `${accountId}\u0000${clientOrderId}`;
  const store = (order: OrderMessage) => {
    orders.set(order.id, order);
    byClientKey.set(clientKey(order.accountId, order.clientOrderId), order);
  };
  for (const seed of seedOrders) store(toOrderMessage(seed));
  let nextId = 1001;
  const log = createOrderLog();

  const sandbox = await startGrpcSandbox(
    {
      name: 'trading',
      service: tradingService.service,
      handlers: {
        PlaceOrder(request: PlaceOrderRequest): OrderMessage {
          const valid = validPlaceOrder(request);
          const existing = byClientKey.get(clientKey(valid.accountId, valid.clientOrderId));
          if (existing) {
            if (sameParameters(existing, valid)) return { ...existing };
            throw grpcStatusError(
              status.ALREADY_EXISTS,
              'client_order_id was used for an order with other parameters',
            );
          }
          const order: OrderMessage = {
            id: `ord-${nextId++}`,
            ...valid,
            status: valid.type === 'ORDER_TYPE_MARKET' ? 'ORDER_STATUS_FILLED' : 'ORDER_STATUS_OPEN',
            createdAt: now().toISOString(),
          };
          store(order);
          log.append(order);
          return { ...order };
        },
        CancelOrder({ orderId }: CancelOrderRequest): OrderMessage {
          if (!orderId) throw invalid('order_id is required');
          const order = orders.get(orderId);
          if (!order) throw grpcStatusError(status.NOT_FOUND, 'unknown order');
          if (order.status !== 'ORDER_STATUS_OPEN') {
            throw grpcStatusError(
              status.FAILED_PRECONDITION,
              `order is ${order.status}, only OPEN orders can be cancelled`,
            );
          }
          order.status = 'ORDER_STATUS_CANCELLED';
          log.append(order);
          return { ...order };
        },
        BatchGetOrders({ orderIds }: BatchGetOrdersRequest): OrdersResponse {
          return {
            orders: requireIds(orderIds, 'order_ids').flatMap((id) => {
              const order = orders.get(id);
              return order ? [{ ...order }] : [];
            }),
          };
        },
        ListOrders({ accountId, status: wanted, limit }: ListOrdersRequest): OrdersResponse {
          if (!accountId) throw invalid('account_id is required');
          if (limit < 0 || limit > MAX_LIST_LIMIT) throw invalid(`limit must be 0-${MAX_LIST_LIMIT}`);
          const matching = [...orders.values()].filter(
            (o) =>
              o.accountId === accountId && (wanted === 'ORDER_STATUS_UNSPECIFIED' || o.status === wanted),
          );
          return {
            orders: matching
              .sort(newestFirst)
              .slice(0, limit || DEFAULT_LIST_LIMIT)
              .map((o) => ({ ...o })),
          };
        },
        Ping: () => ({}),
        StreamOrderEvents(request: StreamOrderEventsRequest, stream: GrpcServerStream<OrderEventMessage>) {
          if (!accountsById.has(request.accountId)) throw invalid('unknown account_id');
          if (!/^\d{1,20}$/.test(request.afterSequence)) throw invalid('after_sequence must be a uint64');
          log.follow(request, stream);
        },
      },
    },
    options,
  );
  sandbox.control.streams.onHeartbeat(() => log.heartbeat());
  return {
    ...sandbox,
    orders: () => [...orders.values()].map((o) => ({ ...o })),
    events: () => log.events(),
  };
}
