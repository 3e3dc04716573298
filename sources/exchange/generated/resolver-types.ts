import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { ExchangeAccountModel as ExchangeAccountModelModel, ExchangeBalanceModel as ExchangeBalanceModelModel, ExchangeContext } from '../resolvers.js';
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

export type ExchangeAccount = {
  __typename?: 'ExchangeAccount';
  exchange: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** sha256:<16 hex> of the API key: recognisable, never the key. */
  keyFingerprint: Scalars['String']['output'];
  label: Scalars['String']['output'];
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  linkedAt: Scalars['DateTime']['output'];
  /** What the exchange said the key can do when it was linked. */
  permissions: ExchangeKeyPermissions;
  /** The key is older than the rotation period (EXCHANGE_KEY_ROTATION_DAYS, 90 by default). */
  rotationDue: Scalars['Boolean']['output'];
  status: ExchangeAccountStatus;
};

export type ExchangeAccountStatus =
  /** Linked: its key is held and used. */
  | 'ACTIVE'
  /** Just unlinked (the answer of unlinkExchangeAccount): its key is deleted. */
  | 'UNLINKED';

export type ExchangeBalance = {
  __typename?: 'ExchangeBalance';
  free: Scalars['Decimal']['output'];
  locked: Scalars['Decimal']['output'];
  token: Token;
  /** (free + locked) at the exchange's own USD price; null when the exchange quotes none. */
  valueUsd?: Maybe<Scalars['Decimal']['output']>;
};

export type ExchangeKeyPermissions = {
  __typename?: 'ExchangeKeyPermissions';
  ipRestricted: Scalars['Boolean']['output'];
  read: Scalars['Boolean']['output'];
  trade: Scalars['Boolean']['output'];
  withdraw: Scalars['Boolean']['output'];
};

export type LinkExchangeAccountInput = {
  apiKey: Scalars['String']['input'];
  apiSecret: Scalars['String']['input'];
  /** The exchange's name, as this gateway knows it (EXCHANGE_NAME; the demo's is sandbox). */
  exchange: Scalars['String']['input'];
  /** Your name for the account, 1-64 characters. */
  label: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Links an exchange API key to the caller. The exchange is asked what the key can do first: a key
   * that can withdraw (EXCHANGE_KEY_TOO_POWERFUL), is not IP-restricted (EXCHANGE_KEY_UNRESTRICTED) or
   * is not accepted (EXCHANGE_KEY_INVALID) is refused and nothing is stored. The secret is kept
   * envelope-encrypted and never shown again.
   */
  linkExchangeAccount: ExchangeAccount;
  /** Unlinks one of the caller's exchange accounts: its encrypted key is deleted at once. */
  unlinkExchangeAccount: ExchangeAccount;
};


export type MutationLinkExchangeAccountArgs = {
  input: LinkExchangeAccountInput;
};


export type MutationUnlinkExchangeAccountArgs = {
  id: Scalars['ID']['input'];
};

export type Query = {
  __typename?: 'Query';
  /** The caller's linked exchange accounts. Their keys are never returned: a fingerprint identifies each. */
  exchangeAccounts: Array<ExchangeAccount>;
  /** Balances of one of the caller's linked exchange accounts (one exchange call per account and request). */
  exchangeBalances?: Maybe<Array<ExchangeBalance>>;
};


export type QueryExchangeBalancesArgs = {
  exchangeAccountId: Scalars['ID']['input'];
};

export type Token = {
  __typename?: 'Token';
  id: Scalars['ID']['output'];
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
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Decimal: ResolverTypeWrapper<Scalars['Decimal']['output']>;
  ExchangeAccount: ResolverTypeWrapper<ExchangeAccountModelModel>;
  ExchangeAccountStatus: ExchangeAccountStatus;
  ExchangeBalance: ResolverTypeWrapper<ExchangeBalanceModelModel>;
  ExchangeKeyPermissions: ResolverTypeWrapper<ExchangeKeyPermissions>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  LinkExchangeAccountInput: LinkExchangeAccountInput;
  Mutation: ResolverTypeWrapper<unknown>;
  Query: ResolverTypeWrapper<unknown>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Token: ResolverTypeWrapper<{ readonly id: string }>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Boolean: Scalars['Boolean']['output'];
  DateTime: Scalars['DateTime']['output'];
  Decimal: Scalars['Decimal']['output'];
  ExchangeAccount: ExchangeAccountModelModel;
  ExchangeBalance: ExchangeBalanceModelModel;
  ExchangeKeyPermissions: ExchangeKeyPermissions;
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  LinkExchangeAccountInput: LinkExchangeAccountInput;
  Mutation: unknown;
  Query: unknown;
  String: Scalars['String']['output'];
  Token: { readonly id: string };
};

export type CacheControlDirectiveArgs = {
  maxAge?: Maybe<Scalars['Int']['input']>;
  scope?: Maybe<CacheControlScope>;
};

export type CacheControlDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = CacheControlDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CostDirectiveArgs = {
  weight: Scalars['Int']['input'];
};

export type CostDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = CostDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type InvalidatesCacheDirectiveArgs = {
  scope: CacheInvalidationScope;
};

export type InvalidatesCacheDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = InvalidatesCacheDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ListSizeDirectiveArgs = {
  assumedSize?: Maybe<Scalars['Int']['input']>;
  slicingArguments?: Maybe<Array<Scalars['String']['input']>>;
};

export type ListSizeDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = ListSizeDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RateLimitDirectiveArgs = {
  max: Scalars['Int']['input'];
  window: Scalars['String']['input'];
};

export type RateLimitDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = RateLimitDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RequiresScopesDirectiveArgs = {
  scopes: Array<Array<Scalars['String']['input']>>;
};

export type RequiresScopesDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = RequiresScopesDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type SignedDirectiveArgs = { };

export type SignedDirectiveResolver<Result, Parent, ContextType = ExchangeContext, Args = SignedDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export interface DecimalScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Decimal'], any> {
  name: 'Decimal';
}

export type ExchangeAccountResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['ExchangeAccount'] = ResolversParentTypes['ExchangeAccount']> = {
  exchange?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  keyFingerprint?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  label?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  linkedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  permissions?: Resolver<ResolversTypes['ExchangeKeyPermissions'], ParentType, ContextType>;
  rotationDue?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ExchangeAccountStatus'], ParentType, ContextType>;
};

export type ExchangeBalanceResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['ExchangeBalance'] = ResolversParentTypes['ExchangeBalance']> = {
  free?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  locked?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['Token'], ParentType, ContextType>;
  valueUsd?: Resolver<Maybe<ResolversTypes['Decimal']>, ParentType, ContextType>;
};

export type ExchangeKeyPermissionsResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['ExchangeKeyPermissions'] = ResolversParentTypes['ExchangeKeyPermissions']> = {
  ipRestricted?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  read?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  trade?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  withdraw?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  linkExchangeAccount?: Resolver<ResolversTypes['ExchangeAccount'], ParentType, ContextType, RequireFields<MutationLinkExchangeAccountArgs, 'input'>>;
  unlinkExchangeAccount?: Resolver<ResolversTypes['ExchangeAccount'], ParentType, ContextType, RequireFields<MutationUnlinkExchangeAccountArgs, 'id'>>;
};

export type QueryResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  exchangeAccounts?: Resolver<Array<ResolversTypes['ExchangeAccount']>, ParentType, ContextType>;
  exchangeBalances?: Resolver<Maybe<Array<ResolversTypes['ExchangeBalance']>>, ParentType, ContextType, RequireFields<QueryExchangeBalancesArgs, 'exchangeAccountId'>>;
};

export type TokenResolvers<ContextType = ExchangeContext, ParentType extends ResolversParentTypes['Token'] = ResolversParentTypes['Token']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type Resolvers<ContextType = ExchangeContext> = {
  DateTime?: GraphQLScalarType;
  Decimal?: GraphQLScalarType;
  ExchangeAccount?: ExchangeAccountResolvers<ContextType>;
  ExchangeBalance?: ExchangeBalanceResolvers<ContextType>;
  ExchangeKeyPermissions?: ExchangeKeyPermissionsResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Token?: TokenResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = ExchangeContext> = {
  cacheControl?: CacheControlDirectiveResolver<any, any, ContextType>;
  cost?: CostDirectiveResolver<any, any, ContextType>;
  invalidatesCache?: InvalidatesCacheDirectiveResolver<any, any, ContextType>;
  listSize?: ListSizeDirectiveResolver<any, any, ContextType>;
  rateLimit?: RateLimitDirectiveResolver<any, any, ContextType>;
  requiresScopes?: RequiresScopesDirectiveResolver<any, any, ContextType>;
  signed?: SignedDirectiveResolver<any, any, ContextType>;
};
