/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "subscription OrderUpdates($accountId: ID!, $after: String) {\n  orderUpdates(accountId: $accountId, after: $after) {\n    cursor\n    order {\n      id\n      accountId\n      clientOrderId\n      side\n      type\n      quantity\n      limitPrice\n      status\n      createdAt\n      token {\n        id\n      }\n    }\n  }\n}": typeof types.OrderUpdatesDocument,
    "mutation MobileCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}": typeof types.MobileCancelOrderDocument,
    "query MobileOrders($accountId: ID!) {\n  orders(accountId: $accountId, status: OPEN, first: 20) {\n    id\n    side\n    type\n    quantity\n    limitPrice\n    status\n    token {\n      symbol\n    }\n  }\n}": typeof types.MobileOrdersDocument,
    "mutation MobilePlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    clientOrderId\n    quantity\n    limitPrice\n    token {\n      symbol\n    }\n  }\n}": typeof types.MobilePlaceOrderDocument,
    "query MobilePortfolio($accountId: ID!) {\n  accounts {\n    id\n    name\n  }\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      token {\n        id\n        symbol\n        price {\n          usd\n        }\n      }\n    }\n  }\n}": typeof types.MobilePortfolioDocument,
    "query MobileTokenDetail($id: ID!) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    price {\n      usd\n      change24h\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n    candles(interval: D1, limit: 7) {\n      openTime\n      close\n    }\n  }\n}": typeof types.MobileTokenDetailDocument,
    "query MobileTokenList($first: Int = 50) {\n  topTokens(first: $first) {\n    ...MobileTokenRow\n  }\n}\n\nfragment MobileTokenRow on Token {\n  id\n  symbol\n  price {\n    usd\n    change24h\n  }\n  signal {\n    rating\n  }\n}": typeof types.MobileTokenListDocument,
    "query WebAccounts {\n  accounts {\n    id\n    name\n  }\n}": typeof types.WebAccountsDocument,
    "mutation WebCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}": typeof types.WebCancelOrderDocument,
    "query WebOrders($accountId: ID!, $status: OrderStatus, $first: Int = 50) {\n  orders(accountId: $accountId, status: $status, first: $first) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n      price {\n        usd\n      }\n    }\n  }\n}": typeof types.WebOrdersDocument,
    "mutation WebPlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n    }\n  }\n}": typeof types.WebPlaceOrderDocument,
    "query WebPortfolio($accountId: ID!) {\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      averageCost\n      token {\n        id\n        symbol\n        name\n        price {\n          usd\n          change24h\n          updatedAt\n        }\n        signal {\n          rating\n          score\n        }\n      }\n    }\n  }\n}": typeof types.WebPortfolioDocument,
    "query WebTokenDetail($id: ID!, $interval: CandleInterval = H1, $candles: Int = 24) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    chain\n    circulatingSupply\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n      modelGrade\n      updatedAt\n    }\n    candles(interval: $interval, limit: $candles) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}": typeof types.WebTokenDetailDocument,
    "query WebTokenList($first: Int = 20, $offset: Int = 0) {\n  topTokens(first: $first, offset: $offset) {\n    id\n    symbol\n    name\n    chain\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n  }\n}": typeof types.WebTokenListDocument,
};
const documents: Documents = {
    "subscription OrderUpdates($accountId: ID!, $after: String) {\n  orderUpdates(accountId: $accountId, after: $after) {\n    cursor\n    order {\n      id\n      accountId\n      clientOrderId\n      side\n      type\n      quantity\n      limitPrice\n      status\n      createdAt\n      token {\n        id\n      }\n    }\n  }\n}": types.OrderUpdatesDocument,
    "mutation MobileCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}": types.MobileCancelOrderDocument,
    "query MobileOrders($accountId: ID!) {\n  orders(accountId: $accountId, status: OPEN, first: 20) {\n    id\n    side\n    type\n    quantity\n    limitPrice\n    status\n    token {\n      symbol\n    }\n  }\n}": types.MobileOrdersDocument,
    "mutation MobilePlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    clientOrderId\n    quantity\n    limitPrice\n    token {\n      symbol\n    }\n  }\n}": types.MobilePlaceOrderDocument,
    "query MobilePortfolio($accountId: ID!) {\n  accounts {\n    id\n    name\n  }\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      token {\n        id\n        symbol\n        price {\n          usd\n        }\n      }\n    }\n  }\n}": types.MobilePortfolioDocument,
    "query MobileTokenDetail($id: ID!) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    price {\n      usd\n      change24h\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n    candles(interval: D1, limit: 7) {\n      openTime\n      close\n    }\n  }\n}": types.MobileTokenDetailDocument,
    "query MobileTokenList($first: Int = 50) {\n  topTokens(first: $first) {\n    ...MobileTokenRow\n  }\n}\n\nfragment MobileTokenRow on Token {\n  id\n  symbol\n  price {\n    usd\n    change24h\n  }\n  signal {\n    rating\n  }\n}": types.MobileTokenListDocument,
    "query WebAccounts {\n  accounts {\n    id\n    name\n  }\n}": types.WebAccountsDocument,
    "mutation WebCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}": types.WebCancelOrderDocument,
    "query WebOrders($accountId: ID!, $status: OrderStatus, $first: Int = 50) {\n  orders(accountId: $accountId, status: $status, first: $first) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n      price {\n        usd\n      }\n    }\n  }\n}": types.WebOrdersDocument,
    "mutation WebPlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n    }\n  }\n}": types.WebPlaceOrderDocument,
    "query WebPortfolio($accountId: ID!) {\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      averageCost\n      token {\n        id\n        symbol\n        name\n        price {\n          usd\n          change24h\n          updatedAt\n        }\n        signal {\n          rating\n          score\n        }\n      }\n    }\n  }\n}": types.WebPortfolioDocument,
    "query WebTokenDetail($id: ID!, $interval: CandleInterval = H1, $candles: Int = 24) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    chain\n    circulatingSupply\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n      modelGrade\n      updatedAt\n    }\n    candles(interval: $interval, limit: $candles) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}": types.WebTokenDetailDocument,
    "query WebTokenList($first: Int = 20, $offset: Int = 0) {\n  topTokens(first: $first, offset: $offset) {\n    id\n    symbol\n    name\n    chain\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n  }\n}": types.WebTokenListDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OrderUpdates($accountId: ID!, $after: String) {\n  orderUpdates(accountId: $accountId, after: $after) {\n    cursor\n    order {\n      id\n      accountId\n      clientOrderId\n      side\n      type\n      quantity\n      limitPrice\n      status\n      createdAt\n      token {\n        id\n      }\n    }\n  }\n}"): typeof import('./graphql.js').OrderUpdatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation MobileCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}"): typeof import('./graphql.js').MobileCancelOrderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MobileOrders($accountId: ID!) {\n  orders(accountId: $accountId, status: OPEN, first: 20) {\n    id\n    side\n    type\n    quantity\n    limitPrice\n    status\n    token {\n      symbol\n    }\n  }\n}"): typeof import('./graphql.js').MobileOrdersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation MobilePlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    clientOrderId\n    quantity\n    limitPrice\n    token {\n      symbol\n    }\n  }\n}"): typeof import('./graphql.js').MobilePlaceOrderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MobilePortfolio($accountId: ID!) {\n  accounts {\n    id\n    name\n  }\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      token {\n        id\n        symbol\n        price {\n          usd\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').MobilePortfolioDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MobileTokenDetail($id: ID!) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    price {\n      usd\n      change24h\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n    candles(interval: D1, limit: 7) {\n      openTime\n      close\n    }\n  }\n}"): typeof import('./graphql.js').MobileTokenDetailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MobileTokenList($first: Int = 50) {\n  topTokens(first: $first) {\n    ...MobileTokenRow\n  }\n}\n\nfragment MobileTokenRow on Token {\n  id\n  symbol\n  price {\n    usd\n    change24h\n  }\n  signal {\n    rating\n  }\n}"): typeof import('./graphql.js').MobileTokenListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebAccounts {\n  accounts {\n    id\n    name\n  }\n}"): typeof import('./graphql.js').WebAccountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation WebCancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    id\n    status\n  }\n}"): typeof import('./graphql.js').WebCancelOrderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebOrders($accountId: ID!, $status: OrderStatus, $first: Int = 50) {\n  orders(accountId: $accountId, status: $status, first: $first) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n      price {\n        usd\n      }\n    }\n  }\n}"): typeof import('./graphql.js').WebOrdersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation WebPlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    accountId\n    side\n    type\n    quantity\n    limitPrice\n    status\n    clientOrderId\n    createdAt\n    token {\n      id\n      symbol\n    }\n  }\n}"): typeof import('./graphql.js').WebPlaceOrderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebPortfolio($accountId: ID!) {\n  portfolio(accountId: $accountId) {\n    accountId\n    positions {\n      quantity\n      averageCost\n      token {\n        id\n        symbol\n        name\n        price {\n          usd\n          change24h\n          updatedAt\n        }\n        signal {\n          rating\n          score\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').WebPortfolioDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebTokenDetail($id: ID!, $interval: CandleInterval = H1, $candles: Int = 24) {\n  token(id: $id) {\n    id\n    symbol\n    name\n    chain\n    circulatingSupply\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n      modelGrade\n      updatedAt\n    }\n    candles(interval: $interval, limit: $candles) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n}"): typeof import('./graphql.js').WebTokenDetailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query WebTokenList($first: Int = 20, $offset: Int = 0) {\n  topTokens(first: $first, offset: $offset) {\n    id\n    symbol\n    name\n    chain\n    price {\n      usd\n      change24h\n      volume24h\n      marketCap\n      updatedAt\n    }\n    signal {\n      rating\n      score\n    }\n  }\n}"): typeof import('./graphql.js').WebTokenListDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
