/** Typed client of the portfolio gRPC service; the transport (channel, deadline) is injected. */
import { fileURLToPath } from 'node:url';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { type GrpcUpstream, loadProto, serviceConstructor } from '../../src/upstream/grpc.js';
import {
  type Account,
  type AccountsResponse,
  type BatchGetPortfoliosResponse,
  type BatchGetRequest,
  type ListAccountsRequest,
  type Portfolio,
  toPortfolio,
} from './messages.js';

/** The `switchyard.portfolio.v1.PortfolioService` constructor, for `createGrpcUpstream` and the sandbox. */
export const portfolioService = serviceConstructor(
  loadProto(fileURLToPath(new URL('./portfolio.proto', import.meta.url))),
  'switchyard.portfolio.v1.PortfolioService',
);

/** The portfolio RPCs, typed. Failures reject with UpstreamError (see src/upstream/grpc.ts). */
export interface PortfolioClient {
  listAccounts(userId: string, options?: UpstreamCallOptions): Promise<Account[]>;
  /** Known accounts among `ids`; unknown ids are absent. */
  batchGetAccounts(ids: readonly string[], options?: UpstreamCallOptions): Promise<Account[]>;
  /** Known portfolios among `ids`; unknown ids are absent. */
  batchGetPortfolios(ids: readonly string[], options?: UpstreamCallOptions): Promise<Portfolio[]>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Creates the typed client over one gRPC upstream built with `portfolioService`. */
export function createPortfolioClient(upstream: GrpcUpstream): PortfolioClient {
  return {
    async listAccounts(userId, options) {
      const request: ListAccountsRequest = { userId };
      return (await upstream.unary<AccountsResponse>('ListAccounts', request, options)).accounts;
    },
    async batchGetAccounts(ids, options) {
      const request: BatchGetRequest = { accountIds: ids };
      return (await upstream.unary<AccountsResponse>('BatchGetAccounts', request, options)).accounts;
    },
    async batchGetPortfolios(ids, options) {
      const request: BatchGetRequest = { accountIds: ids };
      const response = await upstream.unary<BatchGetPortfoliosResponse>(
        'BatchGetPortfolios',
        request,
        options,
      );
      return response.portfolios.map(toPortfolio);
    },
    async ping(signal) {
      await upstream.unary('Ping', {}, { signal });
    },
  };
}
