/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '../typed-document.js';
export type CandleInterval =
  | 'D1'
  | 'H1'
  | 'M5';

export type OrderSide =
  | 'BUY'
  | 'SELL';

export type OrderStatus =
  | 'CANCELLED'
  | 'FILLED'
  | 'OPEN';

export type OrderType =
  | 'LIMIT'
  | 'MARKET';

export type PlaceOrderInput = {
  accountId: string | number;
  /** Caller-chosen idempotency key, 1-64 letters, digits, '-' or '_'. */
  clientOrderId: string;
  /** Required for LIMIT orders, refused for MARKET orders. */
  limitPrice?: string | null | undefined;
  quantity: string;
  side: OrderSide;
  tokenId: string | number;
  type: OrderType;
};

export type SignalRating =
  | 'BEARISH'
  | 'BULLISH'
  | 'NEUTRAL';

export type OrderUpdatesSubscriptionVariables = Exact<{
  accountId: string | number;
  after?: string | null | undefined;
}>;


export type OrderUpdatesSubscription = { orderUpdates: { cursor: string, order: { id: string, accountId: string, clientOrderId: string, side: OrderSide, type: OrderType, quantity: string, limitPrice: string | null, status: OrderStatus, createdAt: string, token: { id: string } } } };

export type MobileCancelOrderMutationVariables = Exact<{
  id: string | number;
}>;


export type MobileCancelOrderMutation = { cancelOrder: { id: string, status: OrderStatus } };

export type MobileOrdersQueryVariables = Exact<{
  accountId: string | number;
}>;


export type MobileOrdersQuery = { orders: Array<{ id: string, side: OrderSide, type: OrderType, quantity: string, limitPrice: string | null, status: OrderStatus, token: { symbol: string | null } }> | null };

export type MobilePlaceOrderMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type MobilePlaceOrderMutation = { placeOrder: { id: string, status: OrderStatus, clientOrderId: string, quantity: string, limitPrice: string | null, token: { symbol: string | null } } };

export type MobilePortfolioQueryVariables = Exact<{
  accountId: string | number;
}>;


export type MobilePortfolioQuery = { accounts: Array<{ id: string, name: string }>, portfolio: { accountId: string, positions: Array<{ quantity: string, token: { id: string, symbol: string | null, price: { usd: string } | null } }> } | null };

export type MobileTokenDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type MobileTokenDetailQuery = { token: { id: string, symbol: string | null, name: string | null, price: { usd: string, change24h: number | null, updatedAt: string } | null, signal: { rating: SignalRating, score: number } | null, candles: Array<{ openTime: string, close: string }> } | null };

export type MobileTokenListQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type MobileTokenListQuery = { topTokens: Array<{ id: string, symbol: string | null, price: { usd: string, change24h: number | null } | null, signal: { rating: SignalRating } | null }> };

export type MobileTokenRowFragment = { id: string, symbol: string | null, price: { usd: string, change24h: number | null } | null, signal: { rating: SignalRating } | null };

export type WebAccountsQueryVariables = Exact<{ [key: string]: never; }>;


export type WebAccountsQuery = { accounts: Array<{ id: string, name: string }> };

export type WebCancelOrderMutationVariables = Exact<{
  id: string | number;
}>;


export type WebCancelOrderMutation = { cancelOrder: { id: string, status: OrderStatus } };

export type WebOrdersQueryVariables = Exact<{
  accountId: string | number;
  status?: OrderStatus | null | undefined;
  first?: number | null | undefined;
}>;


export type WebOrdersQuery = { orders: Array<{ id: string, accountId: string, side: OrderSide, type: OrderType, quantity: string, limitPrice: string | null, status: OrderStatus, clientOrderId: string, createdAt: string, token: { id: string, symbol: string | null, price: { usd: string } | null } }> | null };

export type WebPlaceOrderMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type WebPlaceOrderMutation = { placeOrder: { id: string, accountId: string, side: OrderSide, type: OrderType, quantity: string, limitPrice: string | null, status: OrderStatus, clientOrderId: string, createdAt: string, token: { id: string, symbol: string | null } } };

export type WebPortfolioQueryVariables = Exact<{
  accountId: string | number;
}>;


export type WebPortfolioQuery = { portfolio: { accountId: string, positions: Array<{ quantity: string, averageCost: string | null, token: { id: string, symbol: string | null, name: string | null, price: { usd: string, change24h: number | null, updatedAt: string } | null, signal: { rating: SignalRating, score: number } | null } }> } | null };

export type WebTokenDetailQueryVariables = Exact<{
  id: string | number;
  interval?: CandleInterval | null | undefined;
  candles?: number | null | undefined;
}>;


export type WebTokenDetailQuery = { token: { id: string, symbol: string | null, name: string | null, chain: string | null, circulatingSupply: string | null, price: { usd: string, change24h: number | null, volume24h: string | null, marketCap: string | null, updatedAt: string } | null, signal: { rating: SignalRating, score: number, modelGrade: string | null, updatedAt: string } | null, candles: Array<{ openTime: string, open: string, high: string, low: string, close: string, volume: string }> } | null };

export type WebTokenListQueryVariables = Exact<{
  first?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type WebTokenListQuery = { topTokens: Array<{ id: string, symbol: string | null, name: string | null, chain: string | null, price: { usd: string, change24h: number | null, volume24h: string | null, marketCap: string | null, updatedAt: string } | null, signal: { rating: SignalRating, score: number } | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const MobileTokenRowFragmentDoc = new TypedDocumentString(`
    fragment MobileTokenRow on Token {
  id
  symbol
  price {
    usd
    change24h
  }
  signal {
    rating
  }
}
    `, {"fragmentName":"MobileTokenRow"}) as unknown as TypedDocumentString<MobileTokenRowFragment, unknown>;
export const OrderUpdatesDocument = new TypedDocumentString(`
    subscription OrderUpdates($accountId: ID!, $after: String) {
  orderUpdates(accountId: $accountId, after: $after) {
    cursor
    order {
      id
      accountId
      clientOrderId
      side
      type
      quantity
      limitPrice
      status
      createdAt
      token {
        id
      }
    }
  }
}
    `) as unknown as TypedDocumentString<OrderUpdatesSubscription, OrderUpdatesSubscriptionVariables>;
export const MobileCancelOrderDocument = new TypedDocumentString(`
    mutation MobileCancelOrder($id: ID!) {
  cancelOrder(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<MobileCancelOrderMutation, MobileCancelOrderMutationVariables>;
export const MobileOrdersDocument = new TypedDocumentString(`
    query MobileOrders($accountId: ID!) {
  orders(accountId: $accountId, status: OPEN, first: 20) {
    id
    side
    type
    quantity
    limitPrice
    status
    token {
      symbol
    }
  }
}
    `) as unknown as TypedDocumentString<MobileOrdersQuery, MobileOrdersQueryVariables>;
export const MobilePlaceOrderDocument = new TypedDocumentString(`
    mutation MobilePlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    id
    status
    clientOrderId
    quantity
    limitPrice
    token {
      symbol
    }
  }
}
    `) as unknown as TypedDocumentString<MobilePlaceOrderMutation, MobilePlaceOrderMutationVariables>;
export const MobilePortfolioDocument = new TypedDocumentString(`
    query MobilePortfolio($accountId: ID!) {
  accounts {
    id
    name
  }
  portfolio(accountId: $accountId) {
    accountId
    positions {
      quantity
      token {
        id
        symbol
        price {
          usd
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<MobilePortfolioQuery, MobilePortfolioQueryVariables>;
export const MobileTokenDetailDocument = new TypedDocumentString(`
    query MobileTokenDetail($id: ID!) {
  token(id: $id) {
    id
    symbol
    name
    price {
      usd
      change24h
      updatedAt
    }
    signal {
      rating
      score
    }
    candles(interval: D1, limit: 7) {
      openTime
      close
    }
  }
}
    `) as unknown as TypedDocumentString<MobileTokenDetailQuery, MobileTokenDetailQueryVariables>;
export const MobileTokenListDocument = new TypedDocumentString(`
    query MobileTokenList($first: Int = 50) {
  topTokens(first: $first) {
    ...MobileTokenRow
  }
}
    fragment MobileTokenRow on Token {
  id
  symbol
  price {
    usd
    change24h
  }
  signal {
    rating
  }
}`) as unknown as TypedDocumentString<MobileTokenListQuery, MobileTokenListQueryVariables>;
export const WebAccountsDocument = new TypedDocumentString(`
    query WebAccounts {
  accounts {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<WebAccountsQuery, WebAccountsQueryVariables>;
export const WebCancelOrderDocument = new TypedDocumentString(`
    mutation WebCancelOrder($id: ID!) {
  cancelOrder(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<WebCancelOrderMutation, WebCancelOrderMutationVariables>;
export const WebOrdersDocument = new TypedDocumentString(`
    query WebOrders($accountId: ID!, $status: OrderStatus, $first: Int = 50) {
  orders(accountId: $accountId, status: $status, first: $first) {
    id
    accountId
    side
    type
    quantity
    limitPrice
    status
    clientOrderId
    createdAt
    token {
      id
      symbol
      price {
        usd
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WebOrdersQuery, WebOrdersQueryVariables>;
export const WebPlaceOrderDocument = new TypedDocumentString(`
    mutation WebPlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    id
    accountId
    side
    type
    quantity
    limitPrice
    status
    clientOrderId
    createdAt
    token {
      id
      symbol
    }
  }
}
    `) as unknown as TypedDocumentString<WebPlaceOrderMutation, WebPlaceOrderMutationVariables>;
export const WebPortfolioDocument = new TypedDocumentString(`
    query WebPortfolio($accountId: ID!) {
  portfolio(accountId: $accountId) {
    accountId
    positions {
      quantity
      averageCost
      token {
        id
        symbol
        name
        price {
          usd
          change24h
          updatedAt
        }
        signal {
          rating
          score
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WebPortfolioQuery, WebPortfolioQueryVariables>;
export const WebTokenDetailDocument = new TypedDocumentString(`
    query WebTokenDetail($id: ID!, $interval: CandleInterval = H1, $candles: Int = 24) {
  token(id: $id) {
    id
    symbol
    name
    chain
    circulatingSupply
    price {
      usd
      change24h
      volume24h
      marketCap
      updatedAt
    }
    signal {
      rating
      score
      modelGrade
      updatedAt
    }
    candles(interval: $interval, limit: $candles) {
      openTime
      open
      high
      low
      close
      volume
    }
  }
}
    `) as unknown as TypedDocumentString<WebTokenDetailQuery, WebTokenDetailQueryVariables>;
export const WebTokenListDocument = new TypedDocumentString(`
    query WebTokenList($first: Int = 20, $offset: Int = 0) {
  topTokens(first: $first, offset: $offset) {
    id
    symbol
    name
    chain
    price {
      usd
      change24h
      volume24h
      marketCap
      updatedAt
    }
    signal {
      rating
      score
    }
  }
}
    `) as unknown as TypedDocumentString<WebTokenListQuery, WebTokenListQueryVariables>;