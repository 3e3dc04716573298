/** A fake portfolio service: the universe's accounts and positions over real gRPC, with fault knobs. */
import { status } from '@grpc/grpc-js';
import { grpcStatusError, requireIds, startGrpcSandbox } from '../../sandbox-kit/grpc.js';
import type { RunningSandbox, SandboxOptions } from '../../sandbox-kit/types.js';
import { accounts } from '../../sandbox-kit/universe.js';
import { portfolioService } from '../client.js';
import type {
  Account,
  AccountsResponse,
  BatchGetPortfoliosResponse,
  BatchGetRequest,
  ListAccountsRequest,
  PortfolioMessage,
} from '../messages.js';

/** Starts the sandbox on `port` (gRPC) and `adminPort` (HTTP admin routes), 0 meaning a free port. */
export function startPortfolioSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const accountMessages = new Map<string, Account>(
    accounts.map((a) => [a.id, { id: a.id, userId: a.userId, name: a.name }]),
  );
  const portfolioMessages = new Map<string, PortfolioMessage>(
    accounts.map((a) => [
      a.id,
      {
        accountId: a.id,
        userId: a.userId,
        accountName: a.name,
        positions: a.positions.map((p) => ({
          tokenId: p.tokenId,
          quantity: p.quantity,
          averageCost: p.averageCost ?? '',
        })),
      },
    ]),
  );
  const present = <T>(ids: readonly string[], byId: ReadonlyMap<string, T>): T[] =>
    ids.flatMap((id) => byId.get(id) ?? []);

  return startGrpcSandbox(
    {
      name: 'portfolio',
      service: portfolioService.service,
      handlers: {
        ListAccounts({ userId }: ListAccountsRequest): AccountsResponse {
          if (!userId) throw grpcStatusError(status.INVALID_ARGUMENT, 'user_id is required');
          return { accounts: [...accountMessages.values()].filter((a) => a.userId === userId) };
        },
        BatchGetAccounts({ accountIds }: BatchGetRequest): AccountsResponse {
          return { accounts: present(requireIds(accountIds, 'account_ids'), accountMessages) };
        },
        BatchGetPortfolios({ accountIds }: BatchGetRequest): BatchGetPortfoliosResponse {
          return { portfolios: present(requireIds(accountIds, 'account_ids'), portfolioMessages) };
        },
        Ping: () => ({}),
      },
    },
    options,
  );
}
