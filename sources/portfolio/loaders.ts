/**
 * Per-request DataLoaders of the portfolio source: one batch RPC per tick and loader, results in key
 * order, a failed batch rejects every key with the same client error.
 */
import DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import type { PortfolioClient } from './client.js';
import { toPortfolioError } from './errors.js';
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
  const options = { signal: scope.signal, requestId: scope.requestId, scope: scope.telemetry };
  const guard = async <T>(pending: Promise<T>): Promise<T> => {
    try {
      return await pending;
    } catch (err) {
      throw toPortfolioError(err, scope.signal.aborted ? undefined : scope.log);
    }
  };

  const accounts = new DataLoader<string, Account | null>(
    async (ids) => {
      const byId = new Map((await guard(client.batchGetAccounts(ids, options))).map((a) => [a.id, a]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: MAX_BATCH_IDS, name: 'portfolio.accounts' },
  );

  const portfolios = new DataLoader<string, Portfolio | null>(
    async (ids) => {
      const found = await guard(client.batchGetPortfolios(ids, options));
      const byId = new Map(found.map((p) => [p.accountId, p]));
      return ids.map((id) => {
        const portfolio = byId.get(id) ?? null;
        // A portfolio names its owner, so ownership checks later in the request cost no call.
        accounts.prime(id, portfolio && { id, userId: portfolio.userId, name: portfolio.accountName });
        return portfolio;
      });
    },
    { maxBatchSize: MAX_BATCH_IDS, name: 'portfolio.portfolios' },
  );

  const accountsByUser = new DataLoader<string, Account[]>(
    (userIds) =>
      guard(
        Promise.all(
          userIds.map(async (userId) => {
            const list = await client.listAccounts(userId, options);
            for (const account of list) accounts.prime(account.id, account);
            return list;
          }),
        ),
      ),
    { name: 'portfolio.accountsByUser' },
  );

  return { accounts, portfolios, accountsByUser };
}
