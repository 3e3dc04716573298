/** Resolvers of the market subschema (schema.graphql): the queries and the fields of `Token`. */
import { gatewayError } from '../../src/errors.js';
import type { EntityReference, SourceReferences } from '../../src/gateway/references.js';
import type { LatestValueFeed } from '../../src/streams/latest-value-feed.js';
import { assertTokenId, assertTokenIds } from '../../src/validation.js';
import type {
  CandleInterval as CandleIntervalName,
  QueryTopTokensArgs,
  Resolvers,
  TokenCandlesArgs,
} from './generated/resolver-types.js';
import type { MarketLoaders } from './loaders.js';
import {
  type Candle,
  type CandleInterval,
  MAX_BATCH_IDS,
  MAX_CANDLES,
  MAX_PAGE_SIZE,
  MAX_STREAM_IDS,
  type PriceTick,
  type TokenMarket,
} from './types.js';

/** What the market resolvers read of the request context. */
export interface MarketContext {
  readonly market: MarketLoaders & {
    /** The instance's live prices (one upstream stream per token, shared by every subscriber). */
    readonly prices: LatestValueFeed<PriceTick>;
  };
}

/** A `Token` parent: a full market record, or a stub `{ id }` from another source (Position, Order). */
export type TokenParent = TokenMarket | { readonly id: string };

type TokenField = Exclude<keyof TokenMarket, 'id'>;

const INTERVALS: Readonly<Record<CandleIntervalName, CandleInterval>> = { M5: '5m', H1: '1h', D1: '1d' };

/** Nullable arguments with defaults can still be sent as an explicit null: refused here too. */
function inRange(value: number | null | undefined, min: number, max: number, argument: string): number {
  if (value === null || value === undefined || !Number.isInteger(value) || value < min || value > max) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must be within ${min}..${max}.`, { argument });
  }
  return value;
}

function unknownToken(id: string) {
  return gatewayError('NOT_FOUND', `The market service does not know token "${id}".`, { source: 'market' });
}

async function loadToken(context: MarketContext, id: string): Promise<TokenMarket> {
  const token = await context.market.tokens.load(id);
  if (!token) throw unknownToken(id);
  return token;
}

/**
 * A Token field: read from the parent when it is a full record (synchronously: this runs once per
 * token per field), else from the batched tokens loader.
 */
function tokenField<K extends TokenField>(key: K) {
  return (
    parent: TokenParent,
    _args: unknown,
    context: MarketContext,
  ): TokenMarket[K] | Promise<TokenMarket[K]> =>
    key in parent ? (parent as TokenMarket)[key] : loadToken(context, parent.id).then((token) => token[key]);
}

/**
 * A `Token` another source returns (`{ id }`) becomes the market record once, when the client reads
 * any of these fields on it: they then resolve synchronously (tokenField) instead of each loading
 * it. An unknown token or a failed load leaves the reference, and each field fails at its own path.
 */
export const marketReferences = {
  Token: {
    fields: ['symbol', 'name', 'chain', 'circulatingSupply', 'price'] satisfies TokenField[],
    complete: (reference: EntityReference, context: MarketContext): Promise<TokenParent> =>
      context.market.tokens.load(reference.id).then(
        (token) => token ?? reference,
        () => reference,
      ),
    // Other sources' Token fields (signal) load beside these queries' market call, not after it.
    arguments: {
      'Query.token': ({ id }) => [{ id: String(id) }],
      'Query.tokens': ({ ids }) => (ids as readonly string[]).map((id) => ({ id })),
    },
  },
} satisfies SourceReferences;

/** The market resolvers; the gateway adds the Decimal and DateTime scalars. */
export const marketResolvers = {
  Query: {
    token: (_root, { id }, context) => context.market.tokens.load(assertTokenId(id)),

    tokens: (_root, { ids }, context) => {
      if (ids.length > MAX_BATCH_IDS) {
        throw gatewayError('BAD_USER_INPUT', `ids takes at most ${MAX_BATCH_IDS} token ids.`, {
          argument: 'ids',
        });
      }
      for (const id of ids) assertTokenId(id, 'ids');
      // One promise per item: a failed batch errors each item at its own path, the list stays.
      // graphql-js takes a promise per list item and a nullable item may resolve to null; the
      // generated types cannot say "promise of T or null" inside a list, hence the cast.
      return ids.map((id) => context.market.tokens.load(id)) as unknown as (TokenMarket | null)[];
    },

    // The generated args make defaulted arguments non-null; a client can still send an explicit null.
    topTokens: (_root, { first, offset }: QueryTopTokensArgs, context): Promise<TokenMarket[]> =>
      context.market.topTokens.load({
        limit: inRange(first, 1, MAX_PAGE_SIZE, 'first'),
        offset: inRange(offset, 0, 2_147_483_647, 'offset'),
      }),
  },

  Subscription: {
    priceUpdates: {
      subscribe: async (_root, { tokenIds }, context) => {
        const ids = assertTokenIds(tokenIds, MAX_STREAM_IDS);
        // Unknown ids are refused before any stream opens (one batched call), as `tokens` would null them.
        const known = await context.market.tokens.loadMany(ids);
        const unknown = ids.filter((_id, i) => known[i] === null);
        const failed = known.find((token) => token instanceof Error);
        if (failed) throw failed;
        if (unknown.length > 0) {
          throw gatewayError('BAD_USER_INPUT', `Unknown token ids: ${unknown.slice(0, 5).join(', ')}.`, {
            argument: 'tokenIds',
          });
        }
        return context.market.prices.subscribe(ids);
      },
      resolve: (tick: PriceTick) => tick,
    },
  },

  Token: {
    symbol: tokenField('symbol'),
    name: tokenField('name'),
    chain: tokenField('chain'),
    circulatingSupply: tokenField('circulatingSupply'),
    price: tokenField('price'),
    candles: async (parent, { interval, limit }: TokenCandlesArgs, context): Promise<Candle[]> => {
      if (interval === null || interval === undefined) {
        throw gatewayError('BAD_USER_INPUT', 'interval cannot be null.', { argument: 'interval' });
      }
      const candles = await context.market.candles.load({
        id: parent.id,
        interval: INTERVALS[interval],
        limit: inRange(limit, 1, MAX_CANDLES, 'limit'),
      });
      if (!candles) throw unknownToken(parent.id);
      return candles;
    },
  },
} satisfies Resolvers;
