/**
 * Per-request access to linked exchange accounts: the caller's links (read once per request), the
 * balances of a link (one signed call per link per request, however many fields ask), the
 * exchange's prices of the assets they hold (one ticker call per tick), link and unlink.
 */
import type DataLoader from 'dataloader';
import { gatewayError, gatewayWarning } from '../../src/errors.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { createBatchLoader } from '../../src/upstream/batch-loader.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import { type ExchangeClient, exchangeCodeOf, exchangeErrorCodes } from './client.js';
import type { Custody, CustodyActor, LinkInput } from './custody.js';
import type { LinkedAccount, LinkedAccountStore } from './store.js';
import type { ExchangeBalanceRow } from './types.js';

/** The exchange loaders and calls of one request (context.exchange). */
export interface ExchangeLoaders {
  /** The owner's links, oldest first. */
  accounts(owner: string): Promise<LinkedAccount[]>;
  /** One of the owner's links; null for an unknown id or another user's. */
  account(owner: string, id: string): Promise<LinkedAccount | null>;
  /** A link's balances (the key is used: lastUsedAt, rotation warning, audited failure). */
  balances(account: LinkedAccount, by: CustodyActor): Promise<ExchangeBalanceRow[]>;
  /** USD price of an asset at the exchange; null when it has none. */
  readonly prices: DataLoader<string, { readonly asset: string; readonly usd: string } | null>;
  link(input: LinkInput, by: CustodyActor): ReturnType<Custody['link']>;
  unlink(id: string, by: CustodyActor): Promise<LinkedAccount>;
  /** Whether a link is due for rotation. */
  rotationDue(account: LinkedAccount): boolean;
}

export function createExchangeLoaders(
  client: ExchangeClient,
  store: LinkedAccountStore,
  custody: Custody,
  scope: RequestScope,
  now: () => number,
): ExchangeLoaders {
  const calls = createUpstreamCalls(scope);
  const byOwner = new Map<string, Promise<LinkedAccount[]>>();
  const accounts = (owner: string) => {
    let list = byOwner.get(owner);
    if (!list) {
      list = store.listByOwner(owner);
      byOwner.set(owner, list);
    }
    return list;
  };
  const balancesById = new Map<string, Promise<ExchangeBalanceRow[]>>();

  async function useBalances(account: LinkedAccount, by: CustodyActor): Promise<ExchangeBalanceRow[]> {
    let rows: ExchangeBalanceRow[];
    try {
      rows = await client.balances(custody.credentialOf(account), calls.options);
    } catch (err) {
      const code = exchangeCodeOf(err);
      if (code === exchangeErrorCodes.invalidKey || code === exchangeErrorCodes.invalidSignature) {
        custody.useFailed(account, by, `exchange refused the linked key (code ${code})`);
        throw gatewayError(
          'EXCHANGE_KEY_INVALID',
          'The exchange no longer accepts this linked key (deleted or restricted there): link a new key.',
          { exchangeAccountId: account.id },
        );
      }
      custody.useFailed(account, by, 'exchange call failed');
      throw calls.failure(err);
    }
    // Last use, best effort: a failed write costs the timestamp, not the answer.
    store
      .touch([account.id], new Date(now()).toISOString())
      .catch((err: unknown) =>
        scope.log.warn({ err, exchangeAccountId: account.id }, 'exchange account last use not recorded'),
      );
    if (custody.rotationDue(account))
      scope.warn?.(
        gatewayWarning(
          'KEY_ROTATION_DUE',
          `The exchange key of "${account.label}" was linked on ${account.linkedAt.slice(0, 10)}: link a new key and unlink this one.`,
          { exchangeAccountId: account.id },
        ),
      );
    return rows;
  }

  return {
    accounts,
    async account(owner, id) {
      return (await accounts(owner)).find((a) => a.id === id) ?? null;
    },
    balances(account, by) {
      let rows = balancesById.get(account.id);
      if (!rows) {
        rows = useBalances(account, by);
        balancesById.set(account.id, rows);
      }
      return rows;
    },
    prices: createBatchLoader(calls, {
      name: 'exchange.prices',
      batch: async (assets, options) =>
        [...(await client.prices(assets, options))].map(([asset, usd]) => ({ asset, usd })),
      keyOf: (price) => price.asset,
    }),
    link: (input, by) => calls.run((options) => custody.link(input, by, options)),
    async unlink(id, by) {
      byOwner.delete(by.owner);
      return custody.unlink(id, by);
    },
    rotationDue: custody.rotationDue,
  };
}
