/**
 * Per-request DataLoaders of the portfolio source: one batch RPC per tick and loader, results in key
 * order, a failed batch rejects every key with the same client error.
 */
import type DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import { createBatchLoader } from '../../src/upstream/batch-loader.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import type { PortfolioClient } from './client.js';
import type { Account, Portfolio } from './messages.js';

/** Most ids one batch RPC accepts (portfolio.proto). */
const MAX_BATCH_IDS = 1000;

/** The portfolio loaders of one request (context.portfolio). */
export interface PortfolioLoaders {
  /** Accounts by id (BatchGetAccounts); null when unknown. */
  readonly accounts: DataLoader<string, Account | null>;
  /** Portfolios by account id (BatchGetPortfolios); null when unknown. Primes `accounts`. */
  readonly portfolios: DataLoader<string, Portfolio | null>;
  /** Accounts of a user (ListAccounts, one call per user: a request has one principal). Primes `accounts`. */
  readonly accountsByUser: DataLoader<string, Account[]>;
}

/** Creates fresh loaders bound to the request's signal and id. */
export function createPortfolioLoaders(client: PortfolioClient, scope: RequestScope): PortfolioLoaders {
  const calls = createUpstreamCalls(scope);

  const accounts = createBatchLoader(calls, {
    name: 'portfolio.accounts',
    batch: (ids, options) => client.batchGetAccounts(ids, options),
    keyOf: (account) => account.id,
    maxBatchSize: MAX_BATCH_IDS,
  });

  const portfolios = createBatchLoader(calls, {
    name: 'portfolio.portfolios',
    batch: (ids, options) => client.batchGetPortfolios(ids, options),
    keyOf: (portfolio) => portfolio.accountId,
    maxBatchSize: MAX_BATCH_IDS,
    // A portfolio names its owner, so ownership checks later in the request cost no call.
    onLoad: (id, portfolio) =>
      accounts.prime(id, portfolio && { id, userId: portfolio.userId, name: portfolio.accountName }),
  });

  const accountsByUser = createBatchLoader(calls, {
    name: 'portfolio.accountsByUser',
    each: (userId: string, options) => client.listAccounts(userId, options),
    onLoad: (_userId, list) => {
      for (const account of list) accounts.prime(account.id, account);
    },
  });

  return { accounts, portfolios, accountsByUser };
}
