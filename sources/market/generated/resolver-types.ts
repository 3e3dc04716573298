import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { TokenParent as TokenParentModel, MarketContext } from '../resolvers.js';
import type { TokenPrice as TokenPriceModel, Candle as CandleModel, PriceTick as PriceTickModel } from '../types.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  DateTime: { input: string; output: string; }
  Decimal: { input: string; output: string; }
};

/** Who may share a cached answer: PUBLIC (anyone, the default) or PRIVATE (only the user it answered). */
export type CacheControlScope =
  | 'PRIVATE'
  | 'PUBLIC';

/** Which cached answers a mutation drops: USER, every answer of the user who called it. */
export type CacheInvalidationScope =
  | 'USER';

export type Candle = {
  __typename?: 'Candle';
  close: Scalars['Decimal']['output'];
  high: Scalars['Decimal']['output'];
  low: Scalars['Decimal']['output'];
  open: Scalars['Decimal']['output'];
  openTime: Scalars['DateTime']['output'];
  volume: Scalars['Decimal']['output'];
};

export type CandleInterval =
  | 'D1'
  | 'H1'
  | 'M5';

export type Price = {
  __typename?: 'Price';
  /** Change over 24 hours, in percent. */
  change24h?: Maybe<Scalars['Float']['output']>;
  marketCap?: Maybe<Scalars['Decimal']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  usd: Scalars['Decimal']['output'];
  volume24h?: Maybe<Scalars['Decimal']['output']>;
};

/** A new price of one token. */
export type PriceUpdate = {
  __typename?: 'PriceUpdate';
  /** Change over 24 hours, in percent. */
  change24h?: Maybe<Scalars['Float']['output']>;
  tokenId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
  usd: Scalars['Decimal']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** One token by its id (a lowercase slug such as `bitcoin`); null when unknown. */
  token?: Maybe<Token>;
  /** Tokens by id, in the order asked; unknown ids are null. At most 500 ids. */
  tokens: Array<Maybe<Token>>;
  /** Tokens ordered by market capitalisation, largest first. */
  topTokens: Array<Token>;
};


export type QueryTokenArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTokensArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QueryTopTokensArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  offset?: InputMaybe<Scalars['Int']['input']>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Live prices of 1-100 tokens: one event per price change. A subscriber that reads slower than the ticks arrive gets the latest price of each token (older ticks are conflated, never queued without bound). Public, like the token queries. */
  priceUpdates: PriceUpdate;
};


export type SubscriptionPriceUpdatesArgs = {
  tokenIds: Array<Scalars['ID']['input']>;
};

export type Token = {
  __typename?: 'Token';
  /** OHLCV candles, oldest first. */
  candles: Array<Candle>;
  /** The chain the token is native to, when it has one. */
  chain?: Maybe<Scalars['String']['output']>;
  /** Tokens in circulation. */
  circulatingSupply?: Maybe<Scalars['Decimal']['output']>;
  id: Scalars['ID']['output'];
  /** Display name such as `Bitcoin`; nullable for the same reason as `symbol`. */
  name?: Maybe<Scalars['String']['output']>;
  price?: Maybe<Price>;
  /** Ticker such as `BTC`. Nullable so that a market failure costs only this field (with an error at its path), not the position or order that reached the token. */
  symbol?: Maybe<Scalars['String']['output']>;
};


export type TokenCandlesArgs = {
  interval?: InputMaybe<CandleInterval>;
  limit?: InputMaybe<Scalars['Int']['input']>;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CacheControlScope: CacheControlScope;
  CacheInvalidationScope: CacheInvalidationScope;
  Candle: ResolverTypeWrapper<CandleModel>;
  CandleInterval: CandleInterval;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Decimal: ResolverTypeWrapper<Scalars['Decimal']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Price: ResolverTypeWrapper<TokenPriceModel>;
  PriceUpdate: ResolverTypeWrapper<PriceTickModel>;
  Query: ResolverTypeWrapper<unknown>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<unknown>;
  Token: ResolverTypeWrapper<TokenParentModel>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Boolean: Scalars['Boolean']['output'];
  Candle: CandleModel;
  DateTime: Scalars['DateTime']['output'];
  Decimal: Scalars['Decimal']['output'];
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Price: TokenPriceModel;
  PriceUpdate: PriceTickModel;
  Query: unknown;
  String: Scalars['String']['output'];
  Subscription: unknown;
  Token: TokenParentModel;
};

export type CacheControlDirectiveArgs = {
  maxAge?: Maybe<Scalars['Int']['input']>;
  scope?: Maybe<CacheControlScope>;
};

export type CacheControlDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = CacheControlDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CostDirectiveArgs = {
  weight: Scalars['Int']['input'];
};

export type CostDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = CostDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type InvalidatesCacheDirectiveArgs = {
  scope: CacheInvalidationScope;
};

export type InvalidatesCacheDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = InvalidatesCacheDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ListSizeDirectiveArgs = {
  assumedSize?: Maybe<Scalars['Int']['input']>;
  slicingArguments?: Maybe<Array<Scalars['String']['input']>>;
};

export type ListSizeDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = ListSizeDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RateLimitDirectiveArgs = {
  max: Scalars['Int']['input'];
  window: Scalars['String']['input'];
};

export type RateLimitDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = RateLimitDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RequiresScopesDirectiveArgs = {
  scopes: Array<Array<Scalars['String']['input']>>;
};

export type RequiresScopesDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = RequiresScopesDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type SignedDirectiveArgs = { };

export type SignedDirectiveResolver<Result, Parent, ContextType = MarketContext, Args = SignedDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CandleResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['Candle'] = ResolversParentTypes['Candle']> = {
  close?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  high?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  low?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  open?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  openTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  volume?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export interface DecimalScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Decimal'], any> {
  name: 'Decimal';
}

export type PriceResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['Price'] = ResolversParentTypes['Price']> = {
  change24h?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  marketCap?: Resolver<Maybe<ResolversTypes['Decimal']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  usd?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  volume24h?: Resolver<Maybe<ResolversTypes['Decimal']>, ParentType, ContextType>;
};

export type PriceUpdateResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['PriceUpdate'] = ResolversParentTypes['PriceUpdate']> = {
  change24h?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  tokenId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  usd?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  token?: Resolver<Maybe<ResolversTypes['Token']>, ParentType, ContextType, RequireFields<QueryTokenArgs, 'id'>>;
  tokens?: Resolver<Array<Maybe<ResolversTypes['Token']>>, ParentType, ContextType, RequireFields<QueryTokensArgs, 'ids'>>;
  topTokens?: Resolver<Array<ResolversTypes['Token']>, ParentType, ContextType, RequireFields<QueryTopTokensArgs, 'first' | 'offset'>>;
};

export type SubscriptionResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  priceUpdates?: SubscriptionResolver<ResolversTypes['PriceUpdate'], "priceUpdates", ParentType, ContextType, RequireFields<SubscriptionPriceUpdatesArgs, 'tokenIds'>>;
};

export type TokenResolvers<ContextType = MarketContext, ParentType extends ResolversParentTypes['Token'] = ResolversParentTypes['Token']> = {
  candles?: Resolver<Array<ResolversTypes['Candle']>, ParentType, ContextType, RequireFields<TokenCandlesArgs, 'interval' | 'limit'>>;
  chain?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  circulatingSupply?: Resolver<Maybe<ResolversTypes['Decimal']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  price?: Resolver<Maybe<ResolversTypes['Price']>, ParentType, ContextType>;
  symbol?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type Resolvers<ContextType = MarketContext> = {
  Candle?: CandleResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Decimal?: GraphQLScalarType;
  Price?: PriceResolvers<ContextType>;
  PriceUpdate?: PriceUpdateResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  Token?: TokenResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = MarketContext> = {
  cacheControl?: CacheControlDirectiveResolver<any, any, ContextType>;
  cost?: CostDirectiveResolver<any, any, ContextType>;
  invalidatesCache?: InvalidatesCacheDirectiveResolver<any, any, ContextType>;
  listSize?: ListSizeDirectiveResolver<any, any, ContextType>;
  rateLimit?: RateLimitDirectiveResolver<any, any, ContextType>;
  requiresScopes?: RequiresScopesDirectiveResolver<any, any, ContextType>;
  signed?: SignedDirectiveResolver<any, any, ContextType>;
};
