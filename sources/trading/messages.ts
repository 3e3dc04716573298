/**
 * The proto messages of trading.proto as proto-loader decodes them (camelCase fields, enums as
 * their names, defaults filled in), the domain shapes the rest of the source speaks (the GraphQL
 * enum values, null for absent decimals), and the mapping between the two.
 */
import { UpstreamError } from '../../src/upstream/errors.js';
import type { OrderSide, OrderStatus, OrderType } from './generated/resolver-types.js';

// The enums are the SDL's (generated): a value added there fails to compile where it meets the proto.
export type { OrderSide, OrderStatus, OrderType };

/** An order as the gateway sees it. */
export interface Order {
  id: string;
  accountId: string;
  tokenId: string;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  /** Null for MARKET orders. */
  limitPrice: string | null;
  status: OrderStatus;
  clientOrderId: string;
  /** ISO 8601 instant. */
  createdAt: string;
}

/** What placing an order takes. */
export interface PlaceOrderInput {
  accountId: string;
  tokenId: string;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  limitPrice: string | null;
  clientOrderId: string;
}

export type OrderSideMessage = `ORDER_SIDE_${OrderSide | 'UNSPECIFIED'}`;
export type OrderTypeMessage = `ORDER_TYPE_${OrderType | 'UNSPECIFIED'}`;
export type OrderStatusMessage = `ORDER_STATUS_${OrderStatus | 'UNSPECIFIED'}`;

/** `Order` message. */
export interface OrderMessage {
  id: string;
  accountId: string;
  tokenId: string;
  side: OrderSideMessage;
  type: OrderTypeMessage;
  quantity: string;
  /** Empty for MARKET orders. */
  limitPrice: string;
  status: OrderStatusMessage;
  clientOrderId: string;
  createdAt: string;
}

/** `PlaceOrderRequest` message. */
export interface PlaceOrderRequest {
  accountId: string;
  tokenId: string;
  side: OrderSideMessage;
  type: OrderTypeMessage;
  quantity: string;
  limitPrice: string;
  clientOrderId: string;
}

export interface CancelOrderRequest {
  orderId: string;
}

export interface BatchGetOrdersRequest {
  orderIds: readonly string[];
}

export interface ListOrdersRequest {
  accountId: string;
  /** ORDER_STATUS_UNSPECIFIED lists every status. */
  status: OrderStatusMessage;
  limit: number;
}

export interface OrdersResponse {
  orders: OrderMessage[];
}

/** `StreamOrderEventsRequest` message; uint64 travels as a decimal string (`longs: String`). */
export interface StreamOrderEventsRequest {
  accountId: string;
  afterSequence: string;
  fromHead: boolean;
}

/** `OrderEvent` message; without `order` it is a marker. */
export interface OrderEventMessage {
  /** uint64 as a decimal string. */
  sequence: string;
  order: OrderMessage | null;
}

/** An order event as the gateway sees it; `order` null is a marker (see trading.proto). */
export interface OrderEvent {
  /** uint64 as a decimal string: compare with `BigInt`, not as numbers or strings. */
  sequence: string;
  order: Order | null;
}

/** The request for `input`. */
export function toPlaceOrderRequest(input: PlaceOrderInput): PlaceOrderRequest {
  return {
    accountId: input.accountId,
    tokenId: input.tokenId,
    side: `ORDER_SIDE_${input.side}`,
    type: `ORDER_TYPE_${input.type}`,
    quantity: input.quantity,
    limitPrice: input.limitPrice ?? '',
    clientOrderId: input.clientOrderId,
  };
}

/** The wire value of a status filter; null lists every status. */
export function toStatusFilter(status: OrderStatus | null): OrderStatusMessage {
  return `ORDER_STATUS_${status ?? 'UNSPECIFIED'}`;
}

function enumValue<T extends string>(
  prefix: string,
  allowed: readonly T[],
  value: string,
  orderId: string,
): T {
  const name = value.startsWith(prefix) ? value.slice(prefix.length) : '';
  if ((allowed as readonly string[]).includes(name)) return name as T;
  // An order the gateway cannot represent is a broken upstream, not a client mistake.
  throw new UpstreamError(
    'UPSTREAM_UNAVAILABLE',
    'trading',
    `order ${orderId} has ${prefix}${name || value}`,
  );
}

/** Maps a decoded `Order`; an order with an unspecified enum fails as UPSTREAM_UNAVAILABLE. */
export function toOrder(message: OrderMessage): Order {
  return {
    id: message.id,
    accountId: message.accountId,
    tokenId: message.tokenId,
    side: enumValue('ORDER_SIDE_', ['BUY', 'SELL'], message.side, message.id),
    type: enumValue('ORDER_TYPE_', ['MARKET', 'LIMIT'], message.type, message.id),
    quantity: message.quantity,
    limitPrice: message.limitPrice === '' ? null : message.limitPrice,
    status: enumValue('ORDER_STATUS_', ['OPEN', 'FILLED', 'CANCELLED'], message.status, message.id),
    clientOrderId: message.clientOrderId,
    createdAt: message.createdAt,
  };
}

/** Maps a domain order back to its message (the sandbox stores messages). */
export function toOrderMessage(order: Order): OrderMessage {
  return {
    ...order,
    side: `ORDER_SIDE_${order.side}`,
    type: `ORDER_TYPE_${order.type}`,
    limitPrice: order.limitPrice ?? '',
    status: `ORDER_STATUS_${order.status}`,
  };
}
