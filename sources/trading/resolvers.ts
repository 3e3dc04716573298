/** Resolvers of the trading subschema (schema.graphql). */
import { type PrincipalContext, requirePrincipal } from '../../src/auth/principal.js';
import { gatewayError } from '../../src/errors.js';
import { assertEntityId, assertPositiveDecimal, assertTokenId } from '../../src/validation.js';
import type {
  MutationPlaceOrderArgs,
  PlaceOrderInput as PlaceOrderInputArgs,
  QueryOrdersArgs,
  Resolvers,
} from './generated/resolver-types.js';
import type { TradingLoaders } from './loaders.js';
import type { Order, PlaceOrderInput } from './messages.js';
import type { OrderEventFeed, OrderUpdate } from './order-events.js';

/** What trading resolvers read from the request context. */
export interface TradingContext extends PrincipalContext {
  readonly trading: TradingLoaders & {
    /** The instance's live order events (one upstream stream per account, shared). */
    readonly orderEvents: OrderEventFeed;
  };
  /**
   * Refuses (FORBIDDEN) an account that is not the principal's. The gateway provides it from the
   * portfolio source, which owns accounts: trading never imports portfolio.
   */
  authorizeAccount(accountId: string): Promise<void>;
}

/** Bounds of `orders(first:)`. */
const MAX_ORDERS_PAGE = 200;
const DEFAULT_ORDERS_PAGE = 50;

/** A cursor is an event sequence: a uint64 in decimal. */
function parseCursor(after: string | null | undefined): bigint | null {
  if (after === null || after === undefined) return null;
  const value = /^\d{1,20}$/.test(after) ? BigInt(after) : -1n;
  if (value < 0n || value >= 2n ** 64n) {
    throw gatewayError('BAD_USER_INPUT', 'after must be a cursor received from orderUpdates.', {
      argument: 'after',
    });
  }
  return value;
}

/** Refuses what the upstream would refuse, before any upstream call; each error names its argument. */
function validatePlaceOrder(input: PlaceOrderInputArgs): PlaceOrderInput {
  const limitPrice = input.limitPrice ?? null;
  assertEntityId(input.accountId, 'accountId');
  assertTokenId(input.tokenId, 'tokenId');
  assertPositiveDecimal(input.quantity, 'quantity');
  if (input.type === 'LIMIT') {
    if (limitPrice === null) {
      throw gatewayError('BAD_USER_INPUT', 'limitPrice is required for LIMIT orders.', {
        argument: 'limitPrice',
      });
    }
    assertPositiveDecimal(limitPrice, 'limitPrice');
  } else if (limitPrice !== null) {
    throw gatewayError('BAD_USER_INPUT', 'limitPrice must be omitted for MARKET orders.', {
      argument: 'limitPrice',
    });
  }
  assertEntityId(input.clientOrderId, 'clientOrderId');
  return { ...input, limitPrice };
}

/** The resolvers; `Token` is owned by market, which fills the other fields of `{ id }`. */
export const tradingResolvers = {
  Query: {
    // QueryOrdersArgs, not the generated RequireFields: `first` may still arrive as an explicit null.
    async orders(_root, args: QueryOrdersArgs, context): Promise<Order[]> {
      requirePrincipal(context);
      const accountId = assertEntityId(args.accountId, 'accountId');
      const first = args.first ?? DEFAULT_ORDERS_PAGE;
      if (!Number.isInteger(first) || first < 1 || first > MAX_ORDERS_PAGE) {
        throw gatewayError('BAD_USER_INPUT', `first must be between 1 and ${MAX_ORDERS_PAGE}.`, {
          argument: 'first',
        });
      }
      await context.authorizeAccount(accountId);
      return context.trading.listOrders(accountId, { status: args.status ?? null, limit: first });
    },
  },
  Mutation: {
    async placeOrder(_root, args: MutationPlaceOrderArgs, context): Promise<Order> {
      requirePrincipal(context);
      const input = validatePlaceOrder(args.input);
      await context.authorizeAccount(input.accountId);
      return context.trading.placeOrder(input);
    },
    async cancelOrder(_root, args, context): Promise<Order> {
      requirePrincipal(context);
      const id = assertEntityId(args.id, 'id');
      // Unknown and another user's orders answer alike: order ids are guessable, existence is not told.
      const notFound = () => gatewayError('NOT_FOUND', `Order "${id}" was not found.`, { argument: 'id' });
      const order = await context.trading.orders.load(id);
      if (!order) throw notFound();
      try {
        await context.authorizeAccount(order.accountId);
      } catch (err) {
        if ((err as { extensions?: { code?: unknown } }).extensions?.code === 'FORBIDDEN') throw notFound();
        throw err;
      }
      return context.trading.cancelOrder(id);
    },
  },
  Subscription: {
    orderUpdates: {
      async subscribe(_root, args, context) {
        requirePrincipal(context);
        const accountId = assertEntityId(args.accountId, 'accountId');
        const after = parseCursor(args.after);
        // Foreign and unknown accounts answer alike, as for orders.
        await context.authorizeAccount(accountId);
        return context.trading.orderEvents.subscribe(accountId, after);
      },
      resolve: (update: OrderUpdate) => update,
    },
  },
  Order: {
    token: (order) => ({ id: order.tokenId }),
  },
} satisfies Resolvers;
